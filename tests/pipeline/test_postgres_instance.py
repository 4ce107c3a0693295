"""The Dagster instance on PostgreSQL: the drift scenario (sensor + retrain) runs on it as on the
default SQLite instance, and the instance settings refuse a URL that would break it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from support.postgres_databases import fresh_database

from recsys.settings import DAGSTER_HOME_VAR, DAGSTER_STORAGE_URL_VAR, DATA_DIR_VAR, Settings
from resources.instance import instance_config, write_instance_config
from scripts.drift_demo import run_scenario


def test_the_drift_scenario_runs_on_a_postgresql_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database("dagster_instance") as url:
        monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
        monkeypatch.setenv(DAGSTER_STORAGE_URL_VAR, url)
        # `make test` exports the developer's DAGSTER_HOME: this instance must not touch it.
        monkeypatch.setenv(DAGSTER_HOME_VAR, str(tmp_path / "dagster_home"))
        settings = Settings.from_env()
        home = write_instance_config(settings).parent
        assert home == tmp_path / "dagster_home"

        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            result = run_scenario(instance, settings, "small", seed=7, normal_days=14)
            runs = len(instance.get_runs())

        assert not result.drift_check.passed
        assert result.requested_runs == 1
        assert result.requests_on_next_tick == 0
        assert result.retrain is not None and result.retrain.success
        assert result.gate is not None and result.gate.metadata["reasons"].value
        expected = result.gate.metadata["candidate_version"].value
        if not result.gate.passed:
            expected = result.champion_before
        assert result.champion_after == expected
        # The runs and the check evaluations the sensor read are rows of the PostgreSQL database.
        with psycopg.connect(url.replace("+psycopg2", "")) as conn:
            [(stored_runs,)] = conn.execute("SELECT count(*) FROM runs").fetchall()
            [(evaluations,)] = conn.execute(
                "SELECT count(*) FROM asset_check_executions WHERE check_name = 'feature_drift'"
            ).fetchall()
        assert stored_runs == runs >= 6
        assert evaluations >= 1
        assert not (home / "history").exists()


def test_the_instance_file_names_the_url_variable_and_never_holds_the_password(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg2://dagster:s3cret@db.internal:5432/dagster"
    settings = Settings.from_env({DAGSTER_STORAGE_URL_VAR: url, DAGSTER_HOME_VAR: str(tmp_path)})

    written = write_instance_config(settings)

    assert written == tmp_path / "dagster.yaml"
    assert "s3cret" not in written.read_text()
    config = yaml.safe_load(written.read_text())
    assert config["storage"] == {"postgres": {"postgres_url": {"env": DAGSTER_STORAGE_URL_VAR}}}
    assert config["run_queue"] == {"max_concurrent_runs": 1}


def test_without_the_setting_the_instance_is_sqlite_and_hand_edits_are_kept(
    tmp_path: Path,
) -> None:
    (tmp_path / "dagster.yaml").write_text(
        "run_queue:\n  max_concurrent_runs: 1\n  dequeue_interval_seconds: 1\n"
        "storage:\n  postgres:\n    postgres_url: {env: GONE}\n"
    )
    settings = Settings.from_env({DAGSTER_HOME_VAR: str(tmp_path)})

    config = yaml.safe_load(write_instance_config(settings).read_text())

    assert "storage" not in config
    assert config["run_queue"]["dequeue_interval_seconds"] == 1
    assert config["telemetry"] == {"enabled": False}
    assert instance_config(Settings.from_env({})) == {
        "telemetry": {"enabled": False},
        "run_queue": {"max_concurrent_runs": 1},
    }


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://dagster:s3cret@db:5432/dagster",
        "postgres://dagster:s3cret@db:5432/dagster",
        "postgresql+psycopg://dagster:s3cret@db:5432/dagster",
    ],
)
def test_a_url_that_would_reach_psycopg_3_is_refused_with_the_one_to_write(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        Settings.from_env({DAGSTER_STORAGE_URL_VAR: url})

    message = str(refused.value)
    assert "postgresql+psycopg2://dagster:***@db:5432/dagster" in message
    assert "NOTIFY run_events" in message
    assert "s3cret" not in message


def test_a_url_of_another_database_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a PostgreSQL URL"):
        Settings.from_env({DAGSTER_STORAGE_URL_VAR: "sqlite:////tmp/dagster.db"})
