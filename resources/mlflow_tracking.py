"""The MLflow tracking resource: a local SQLite store and artifact folder by default, or a
database backend store (PostgreSQL) with the artifacts still in the folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from recsys.models.tracking import TrackingConfig
from recsys.settings import MLFLOW_TRACKING_URI_VAR, Settings


class MlflowTracking(dg.ConfigurableResource):
    """Where training runs and registered models live, and where the MLflow UI shows them."""

    folder: str
    """The artifacts (and, without `tracking_uri`, the SQLite store) live here."""
    tracking_uri: str = ""
    """A backend store URL (CREATOR_DISCOVERY_MLFLOW_TRACKING_URI); empty: SQLite in `folder`."""
    ui_url: str = "http://127.0.0.1:5000"

    @classmethod
    def from_settings(cls, settings: Settings) -> MlflowTracking:
        if settings.mlflow_tracking_uri is None:
            return cls(folder=str(settings.mlflow_dir))
        # An EnvVar, so the UI shows the variable's name rather than the credentials in the URL.
        return cls(folder=str(settings.mlflow_dir), tracking_uri=dg.EnvVar(MLFLOW_TRACKING_URI_VAR))

    @property
    def config(self) -> TrackingConfig:
        local = TrackingConfig.local(Path(self.folder))
        if not self.tracking_uri:
            return local
        return TrackingConfig(self.tracking_uri, local.artifact_root)
