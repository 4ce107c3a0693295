"""A tiny platform built by the pipeline once per session; each module serves its own copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.service_server import Service, build_platform, copy_data, running_service

from recsys.settings import DATA_DIR_VAR, Settings


@pytest.fixture(scope="session")
def pipeline_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("served") / "data"
    build_platform(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def built(pipeline_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """This module's private copy of the built data folder: its tests may change what is served."""
    data_dir = copy_data(pipeline_built, tmp_path_factory.mktemp("copy") / "data")
    return Settings.from_env({DATA_DIR_VAR: str(data_dir)})


@pytest.fixture(scope="module")
def service(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    log = Path(tmp_path_factory.mktemp("service-log")) / "service.log"
    with running_service(built.data_dir, log) as running:
        yield running
