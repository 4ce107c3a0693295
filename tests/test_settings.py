"""Settings: every environment variable is read in one place; defaults live in the data folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

from recsys.publish.export import parse_target
from recsys.settings import (
    DATA_DIR_VAR,
    EXPORT_PAUSE_AT_VAR,
    EXPORT_PAUSE_SECONDS_VAR,
    LANDING_DIR_VAR,
    PRODUCT_DB_URL_VAR,
    PROJECT_ROOT,
    UI_PORT_VAR,
    WAREHOUSE_VAR,
    Settings,
    child_env,
)


def test_by_default_everything_lives_under_the_project_data_folder() -> None:
    settings = Settings.from_env({})

    data = PROJECT_ROOT / "data"
    assert settings.data_dir == data
    assert settings.landing_dir == data / "landing"
    assert settings.warehouse_path == data / "warehouse.duckdb"
    assert (settings.truth_dir, settings.models_dir, settings.mlflow_dir) == (
        data / "truth",
        data / "models",
        data / "mlflow",
    )
    assert (settings.analytics_dir, settings.drift_demo_dir, settings.bench_dir) == (
        data / "analytics",
        data / "drift_demo",
        data / "bench",
    )
    assert settings.product_db_url == f"sqlite:///{data}/product.db"
    assert not settings.product_db_url_from_env
    assert settings.export_pause_at == frozenset()
    assert settings.export_pause_seconds == 60.0
    assert settings.ui_port == 3000


def test_the_data_folder_variable_moves_everything_generated(tmp_path: Path) -> None:
    settings = Settings.from_env({DATA_DIR_VAR: str(tmp_path)})

    assert settings.landing_dir == tmp_path / "landing"
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.mlflow_dir == tmp_path / "mlflow"
    assert settings.product_db_url == f"sqlite:///{tmp_path}/product.db"


def test_the_landing_zone_variable_moves_the_landing_zone_alone(tmp_path: Path) -> None:
    settings = Settings.from_env({LANDING_DIR_VAR: str(tmp_path / "drop")})

    assert settings.landing_dir == tmp_path / "drop"
    assert settings.truth_dir == PROJECT_ROOT / "data" / "truth"


def test_the_warehouse_variable_moves_the_warehouse_and_the_default_product_database(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({WAREHOUSE_VAR: str(tmp_path / "w" / "house.duckdb")})

    assert settings.warehouse_path == tmp_path / "w" / "house.duckdb"
    assert settings.product_db_url == f"sqlite:///{tmp_path}/w/product.db"
    assert settings.landing_dir == PROJECT_ROOT / "data" / "landing"


def test_relative_paths_are_resolved_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    settings = Settings.from_env({DATA_DIR_VAR: "here", WAREHOUSE_VAR: "w.duckdb"})

    assert settings.data_dir == tmp_path / "here"
    assert settings.landing_dir == tmp_path / "here" / "landing"
    assert settings.warehouse_path == tmp_path / "w.duckdb"


def test_the_default_product_database_url_names_an_absolute_path_with_four_slashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    url = Settings.from_env({WAREHOUSE_VAR: "w.duckdb"}).product_db_url

    assert url == f"sqlite:////{str(tmp_path).lstrip('/')}/product.db"
    assert parse_target(url).path == tmp_path / "product.db"


def test_a_product_database_url_from_the_environment_is_used_as_given_and_says_so() -> None:
    for url in ("postgresql://app:pw@db:5432/product", "sqlite:///relative/product.db"):
        settings = Settings.from_env({PRODUCT_DB_URL_VAR: url})

        assert settings.product_db_url == url
        assert settings.product_db_url_from_env


def test_an_empty_variable_takes_its_default() -> None:
    settings = Settings.from_env({PRODUCT_DB_URL_VAR: "", UI_PORT_VAR: "", DATA_DIR_VAR: ""})

    assert not settings.product_db_url_from_env
    assert settings.ui_port == 3000
    assert settings.data_dir == PROJECT_ROOT / "data"


def test_the_export_pause_hook_reads_its_stages_and_seconds() -> None:
    settings = Settings.from_env(
        {EXPORT_PAUSE_AT_VAR: "copy:user_posts,swap,", EXPORT_PAUSE_SECONDS_VAR: "2.5"}
    )

    assert settings.export_pause_at == {"copy:user_posts", "swap"}
    assert settings.export_pause_seconds == 2.5


def test_the_ui_port_follows_its_variable() -> None:
    assert Settings.from_env({UI_PORT_VAR: "3301"}).ui_port == 3301


@pytest.mark.parametrize(
    ("name", "value"), [(UI_PORT_VAR, "30o0"), (EXPORT_PAUSE_SECONDS_VAR, "x")]
)
def test_a_malformed_number_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{name}='{value}'"):
        Settings.from_env({name: value})


def test_a_child_process_environment_puts_the_given_folder_first_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("CREATOR_DISCOVERY_PROBE", "kept")

    env = child_env(path_first=Path("/opt/venv/bin"))

    assert env["PATH"] == "/opt/venv/bin:/usr/bin"
    assert env["CREATOR_DISCOVERY_PROBE"] == "kept"


def project_sources() -> list[Path]:
    """The project's Python files outside the tests (which set up environments on purpose)."""
    skipped = {"tests", "data", "dbt_project"}
    tops = [p for p in REPO.iterdir() if not p.name.startswith(".") and p.name not in skipped]
    return [p for top in tops for p in ([top] if top.is_file() else top.rglob("*.py"))]


def test_nothing_but_the_settings_module_reads_the_environment() -> None:
    reads = re.compile(r"os\.environ|os\.getenv|getenv\(")
    readers = [
        str(path.relative_to(REPO))
        for path in project_sources()
        if path.suffix == ".py" and reads.search(path.read_text())
    ]

    assert readers == ["recsys/settings.py"]


def test_the_time_frame_settings_take_their_variables_and_refuse_bad_values() -> None:
    from recsys.settings import (
        FIRST_EVENT_DAY_VAR,
        VOLUME_MAX_RATIO_VAR,
        VOLUME_MODE_VAR,
        VOLUME_WINDOW_DAYS_VAR,
    )

    default = Settings.from_env({})
    chosen = Settings.from_env(
        {
            FIRST_EVENT_DAY_VAR: "2024-01-08",
            VOLUME_WINDOW_DAYS_VAR: "56",
            VOLUME_MAX_RATIO_VAR: "12",
            VOLUME_MODE_VAR: "block",
        }
    )

    assert default.first_event_day is None and default.volume_mode == "warn"
    assert str(chosen.first_event_day) == "2024-01-08"
    assert (chosen.volume_window_days, chosen.volume_max_ratio) == (56, 12.0)
    assert chosen.volume_rule.mode == "block"
    with pytest.raises(ValueError, match=FIRST_EVENT_DAY_VAR):
        Settings.from_env({FIRST_EVENT_DAY_VAR: "01/08/2024"})
    with pytest.raises(ValueError, match="block, warn"):
        Settings.from_env({VOLUME_MODE_VAR: "stop"})


def test_the_split_protocol_defaults_to_per_user_and_reaches_dbt_as_a_var() -> None:
    assert Settings.from_env({}).split_protocol == "per_user"
    chosen = Settings.from_env({"CREATOR_DISCOVERY_SPLIT_PROTOCOL": "global"})
    assert chosen.dbt_vars["split_protocol"] == "global"


def test_an_unknown_split_protocol_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="CREATOR_DISCOVERY_SPLIT_PROTOCOL"):
        Settings.from_env({"CREATOR_DISCOVERY_SPLIT_PROTOCOL": "random"})


def test_the_service_binds_to_loopback_unless_its_variables_say_otherwise() -> None:
    from recsys.settings import SERVE_HOST_VAR, SERVE_PORT_VAR, SERVE_RELOAD_SECONDS_VAR

    default = Settings.from_env({})
    chosen = Settings.from_env(
        {SERVE_HOST_VAR: "0.0.0.0", SERVE_PORT_VAR: "8081", SERVE_RELOAD_SECONDS_VAR: "2.5"}
    )

    assert (default.serve_host, default.serve_port, default.serve_reload_seconds) == (
        "127.0.0.1",
        8000,
        30.0,
    )
    assert (chosen.serve_host, chosen.serve_port, chosen.serve_reload_seconds) == (
        "0.0.0.0",
        8081,
        2.5,
    )
    with pytest.raises(ValueError, match=SERVE_PORT_VAR):
        Settings.from_env({SERVE_PORT_VAR: "80a"})
