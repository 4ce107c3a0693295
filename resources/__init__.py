"""Dagster resources: warehouse, landing zone, history rules, model store, MLflow, the product
database and the scoring shards' parts.

Each is built in definitions.py from recsys.settings.Settings, the one reader of the environment.
"""

from resources.history import History
from resources.landing_zone import LandingZone
from resources.mlflow_tracking import MlflowTracking
from resources.model_store import ModelStore
from resources.product_database import ProductDatabase
from resources.scoring_shards import ScoringShards
from resources.warehouse import Warehouse

__all__ = [
    "History",
    "LandingZone",
    "MlflowTracking",
    "ModelStore",
    "ProductDatabase",
    "ScoringShards",
    "Warehouse",
]
