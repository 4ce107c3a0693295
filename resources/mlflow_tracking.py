"""The MLflow tracking resource: a local SQLite store and artifact folder by default."""

from pathlib import Path

import dagster as dg

from recsys.models.tracking import TrackingConfig


class MlflowTracking(dg.ConfigurableResource):
    """Where training runs and registered models live, and where the MLflow UI shows them."""

    folder: str
    ui_url: str = "http://127.0.0.1:5000"

    @property
    def config(self) -> TrackingConfig:
        return TrackingConfig.local(Path(self.folder))
