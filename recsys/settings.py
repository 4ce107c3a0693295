"""Every setting the project takes from the environment, read here and nowhere else.

An entry point (the code location, a command line, a script) calls `Settings.from_env()` once and
passes on what it needs; nothing reads the environment at import time. Everything generated lives
under one data folder (git-ignored), so a checkout stays clean and a test points the whole project
at a temporary directory with one variable. The README's Configuration section lists each variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DATA_DIR_VAR = "CREATOR_DISCOVERY_DATA_DIR"
LANDING_DIR_VAR = "CREATOR_DISCOVERY_LANDING_DIR"
WAREHOUSE_VAR = "CREATOR_DISCOVERY_WAREHOUSE"
PRODUCT_DB_URL_VAR = "CREATOR_DISCOVERY_PRODUCT_DB_URL"
EXPORT_PAUSE_AT_VAR = "CREATOR_DISCOVERY_EXPORT_PAUSE_AT"
EXPORT_PAUSE_SECONDS_VAR = "CREATOR_DISCOVERY_EXPORT_PAUSE_SECONDS"
# Not prefixed: `make ui` passes the same name as a make variable (UI_PORT=3001 make ui).
UI_PORT_VAR = "UI_PORT"

DEFAULT_EXPORT_PAUSE_SECONDS = 60.0
DEFAULT_UI_PORT = 3000
PRODUCT_DB_FILE = "product.db"


@dataclass(frozen=True)
class Settings:
    """Where the project keeps its data, where it exports to, and the few knobs of its tools."""

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    configured_product_db_url: str | None = None
    """CREATOR_DISCOVERY_PRODUCT_DB_URL when set; None: the SQLite file beside the warehouse."""
    export_pause_at: frozenset[str] = frozenset()
    """Fault-test hook of the export command line (recsys/publish/export/cli.py); empty: off."""
    export_pause_seconds: float = DEFAULT_EXPORT_PAUSE_SECONDS
    ui_port: int = DEFAULT_UI_PORT

    @property
    def truth_dir(self) -> Path:
        """The generator's true preferences, outside the landing zone."""
        return self.data_dir / "truth"

    @property
    def models_dir(self) -> Path:
        """Root of the artifact store (its layout: recsys/models/store.py)."""
        return self.data_dir / "models"

    @property
    def mlflow_dir(self) -> Path:
        """MLflow's SQLite store and artifacts (recsys.models.tracking.TrackingConfig.local)."""
        return self.data_dir / "mlflow"

    @property
    def analytics_dir(self) -> Path:
        """Read-only Parquet snapshots of the output tables (recsys/publish/snapshots.py)."""
        return self.data_dir / "analytics"

    @property
    def drift_demo_dir(self) -> Path:
        """The data folder of `make drift-demo`, kept apart from the demo's own data."""
        return self.data_dir / "drift_demo"

    @property
    def bench_dir(self) -> Path:
        """Working folders of the benchmarks (bench/)."""
        return self.data_dir / "bench"

    @property
    def product_db_url(self) -> str:
        """The product database exports go to: the configured URL, else a SQLite file beside
        the warehouse."""
        from recsys.publish.export.target import sqlite_url

        return self.configured_product_db_url or sqlite_url(
            self.warehouse_path.parent / PRODUCT_DB_FILE
        )

    @property
    def product_db_url_from_env(self) -> bool:
        """Whether the URL came from the environment (and may hold credentials)."""
        return self.configured_product_db_url is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (default: this process's environment); an unset or empty
        variable takes its default. Relative paths are resolved against the current directory."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(DATA_DIR_VAR) or PROJECT_ROOT / "data").resolve()
        landing_dir = Path(env.get(LANDING_DIR_VAR) or data_dir / "landing").resolve()
        warehouse = Path(env.get(WAREHOUSE_VAR) or data_dir / "warehouse.duckdb").resolve()
        pause_at = frozenset(s for s in env.get(EXPORT_PAUSE_AT_VAR, "").split(",") if s)
        return cls(
            data_dir=data_dir,
            landing_dir=landing_dir,
            warehouse_path=warehouse,
            configured_product_db_url=env.get(PRODUCT_DB_URL_VAR) or None,
            export_pause_at=pause_at,
            export_pause_seconds=_number(
                env, EXPORT_PAUSE_SECONDS_VAR, float, DEFAULT_EXPORT_PAUSE_SECONDS
            ),
            ui_port=_number(env, UI_PORT_VAR, int, DEFAULT_UI_PORT),
        )


def child_env(path_first: Path | None = None) -> dict[str, str]:
    """This process's environment for a child process, with `path_first` first on PATH."""
    env = dict(os.environ)
    if path_first is not None:
        env["PATH"] = os.pathsep.join(filter(None, [str(path_first), env.get("PATH", "")]))
    return env


def _number(env: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    text = env.get(name)
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name}={text!r}: expected {expected}") from None
