"""Shared fixtures: telemetry off, the dbt manifest prepared, the project in a temp folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from recsys.settings import DATA_DIR_VAR, LANDING_DIR_VAR, WAREHOUSE_VAR, Settings


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """The manifest the dbt assets are built from; parsed once if a developer skipped `make`."""
    from assets.dbt import dbt_project

    project = dbt_project()
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project.manifest_path


@pytest.fixture
def project_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the whole project (landing zone, warehouse) at a fresh temporary data folder."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_VAR, str(data_dir))
    monkeypatch.delenv(LANDING_DIR_VAR, raising=False)
    monkeypatch.delenv(WAREHOUSE_VAR, raising=False)
    return Settings.from_env()


@pytest.fixture
def tiny_platform(project_settings: Settings) -> Settings:
    """A tiny generated platform (seed 5) in the project's temporary data folder."""
    from recsys.datagen import generate_platform

    generate_platform(
        project_settings.landing_dir, project_settings.truth_dir, scale="tiny", seed=5
    )
    return project_settings
