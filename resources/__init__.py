"""Dagster resources: the warehouse, the landing zone and the dbt CLI, configured in one place."""

from resources.landing_zone import LandingZone
from resources.settings import Settings
from resources.warehouse import Warehouse

__all__ = ["LandingZone", "Settings", "Warehouse"]
