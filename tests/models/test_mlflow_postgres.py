"""MLflow on PostgreSQL: with CREATOR_DISCOVERY_MLFLOW_TRACKING_URI set, a fit is tracked, its
version registered and the gate moves the champion alias in the database, the artifacts staying
in the data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from support.postgres_databases import fresh_database

import service.champions
from recsys.models.als import AlsParams
from recsys.models.gate_rule import ALS_GATE
from recsys.models.promotion import gate_version
from recsys.models.tracking import champion, log_training_run, register_version
from recsys.models.training import evaluate_als_on_holdout
from recsys.settings import DATA_DIR_VAR, MLFLOW_TRACKING_URI_VAR, Settings

MODEL = "als-on-postgres"
TOPICS, USERS_PER_TOPIC, CREATORS_PER_TOPIC = 4, 60, 8


def _platform(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Readers who read only their topic's creators, with popularity cutting across topics: in
    train each reader met 4 creators of their topic; in the holdout one more of the same topic."""
    rng = np.random.default_rng(seed)
    train, holdout = [], []
    for user in range(TOPICS * USERS_PER_TOPIC):
        topic = user % TOPICS
        creators = topic * CREATORS_PER_TOPIC + rng.permutation(CREATORS_PER_TOPIC)[:5]
        train += [(user, int(c), float(rng.integers(1, 6))) for c in creators[:4]]
        holdout.append((user, int(creators[4]), False))
    return (
        pd.DataFrame(train, columns=["user_id", "creator_id", "strength"]),
        pd.DataFrame(holdout, columns=["user_id", "creator_id", "seen_in_train"]),
    )


def _track_and_register(settings: Settings, params: AlsParams, folder: Path) -> int:
    train, holdout = _platform(seed=3)
    report = evaluate_als_on_holdout(
        train, holdout, params, k=10, bootstrap=ALS_GATE.bootstrap(), sample=ALS_GATE.user_sample()
    )
    folder.mkdir(parents=True)
    report.factors.save(folder / "factors.npz")
    tracking = settings.mlflow_tracking
    run_id = log_training_run(
        tracking, "als-holdout", params.__dict__, report.flat_metrics(), folder
    )
    return register_version(tracking, MODEL, run_id)


def test_a_fit_is_tracked_registered_and_promoted_in_a_postgresql_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database("mlflow_store") as url:
        monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
        monkeypatch.setenv(MLFLOW_TRACKING_URI_VAR, url)
        settings = Settings.from_env()
        tracking = settings.mlflow_tracking

        good = _track_and_register(settings, AlsParams(factors=8, iterations=10), tmp_path / "a")
        promoted = gate_version(tracking, MODEL, good, ALS_GATE)
        # One factor cannot tell four topics apart: far below the champion, so refused.
        poor = _track_and_register(settings, AlsParams(factors=1, iterations=2), tmp_path / "b")
        refused = gate_version(tracking, MODEL, poor, ALS_GATE)

        assert tracking.tracking_uri == url
        assert promoted.decision.passed, promoted.decision.reasons
        assert not refused.decision.passed
        record = champion(tracking, MODEL)
        assert record is not None and record.version == good == refused.champion_after
        assert record.local_path is not None
        assert (record.local_path / "factors.npz").is_file()
        assert record.local_path.is_relative_to(settings.mlflow_dir / "artifacts")
        # The runs, versions and the alias are rows of the PostgreSQL database, not a SQLite file.
        with psycopg.connect(url.replace("+psycopg2", "")) as conn:
            [(runs,)] = conn.execute("SELECT count(*) FROM runs").fetchall()
            aliases = conn.execute(
                "SELECT alias, version FROM registered_model_aliases WHERE name = %s", [MODEL]
            ).fetchall()
        assert runs == 2
        assert aliases == [("champion", good)]
        assert not (settings.mlflow_dir / "mlflow.db").exists()
        # The online service reads the champion alias from the same store.
        monkeypatch.setattr(service.champions, "CONTENT_MODEL_NAME", MODEL)
        watcher = service.champions.Champions(tmp_path / "no-bundle-yet", tracking, interval=30)
        watcher.poll()
        assert (watcher.status.champion_version, watcher.status.champion_error) == (good, None)


def test_without_the_setting_mlflow_keeps_its_sqlite_store_in_the_data_folder(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({DATA_DIR_VAR: str(tmp_path)})

    assert settings.mlflow_tracking.tracking_uri == f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    assert settings.mlflow_tracking.artifact_root == tmp_path / "mlflow" / "artifacts"
