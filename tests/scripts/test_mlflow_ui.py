"""`make mlflow`: the MLflow UI reads the store the pipeline writes, wherever the data folder is."""

from __future__ import annotations

from pathlib import Path

from recsys.models.tracking import TrackingConfig
from recsys.settings import DATA_DIR_VAR, MLFLOW_TRACKING_URI_VAR, Settings
from scripts.mlflow_ui import mlflow_ui_command


def test_the_ui_serves_the_tracking_store_of_the_configured_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({DATA_DIR_VAR: str(tmp_path)})

    command = mlflow_ui_command(settings, port=5055)

    store = command[command.index("--backend-store-uri") + 1]
    assert store == TrackingConfig.local(tmp_path / "mlflow").tracking_uri
    assert store == f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5055"


def test_the_ui_serves_the_configured_tracking_server_when_there_is_one(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/mlflow"
    settings = Settings.from_env({DATA_DIR_VAR: str(tmp_path), MLFLOW_TRACKING_URI_VAR: url})

    command = mlflow_ui_command(settings, port=5055)

    assert command[command.index("--backend-store-uri") + 1] == url
