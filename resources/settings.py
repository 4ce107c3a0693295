"""Where the project keeps its data: environment variables with defaults, read on demand."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DATA_DIR_VAR = "CREATOR_DISCOVERY_DATA_DIR"
LANDING_DIR_VAR = "CREATOR_DISCOVERY_LANDING_DIR"
WAREHOUSE_VAR = "CREATOR_DISCOVERY_WAREHOUSE"


@dataclass(frozen=True)
class Settings:
    """Paths of the landing zone, the warehouse and the generator's ground truth.

    Everything generated lives under one data folder (git-ignored), so a checkout stays clean and a
    test can point the whole project at a temporary directory with one variable.
    """

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path

    @property
    def truth_dir(self) -> Path:
        return self.data_dir / "truth"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def mlflow_dir(self) -> Path:
        return self.data_dir / "mlflow"

    @property
    def analytics_dir(self) -> Path:
        """Read-only Parquet snapshots of the output tables (recsys/publish/snapshots.py)."""
        return self.data_dir / "analytics"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(DATA_DIR_VAR) or PROJECT_ROOT / "data").resolve()
        landing_dir = Path(env.get(LANDING_DIR_VAR) or data_dir / "landing").resolve()
        warehouse = Path(env.get(WAREHOUSE_VAR) or data_dir / "warehouse.duckdb").resolve()
        return cls(data_dir=data_dir, landing_dir=landing_dir, warehouse_path=warehouse)
