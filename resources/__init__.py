"""Dagster resources: warehouse, landing zone, model store, MLflow and the product database.

Each is built in definitions.py from recsys.settings.Settings, the one reader of the environment.
"""

from resources.landing_zone import LandingZone
from resources.mlflow_tracking import MlflowTracking
from resources.model_store import ModelStore
from resources.product_database import ProductDatabase
from resources.warehouse import Warehouse

__all__ = [
    "LandingZone",
    "MlflowTracking",
    "ModelStore",
    "ProductDatabase",
    "Warehouse",
]
