"""Dagster resources: warehouse, landing zone, model store, MLflow and the product database."""

from resources.landing_zone import LandingZone
from resources.mlflow_tracking import MlflowTracking
from resources.model_store import ModelStore
from resources.product_database import ProductDatabase
from resources.settings import Settings
from resources.warehouse import Warehouse

__all__ = [
    "LandingZone",
    "MlflowTracking",
    "ModelStore",
    "ProductDatabase",
    "Settings",
    "Warehouse",
]
