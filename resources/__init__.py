"""Dagster resources: warehouse, landing zone, model store and MLflow, configured in one place."""

from resources.landing_zone import LandingZone
from resources.mlflow_tracking import MlflowTracking
from resources.model_store import ModelStore
from resources.settings import Settings
from resources.warehouse import Warehouse

__all__ = ["LandingZone", "MlflowTracking", "ModelStore", "Settings", "Warehouse"]
