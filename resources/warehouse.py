"""The DuckDB warehouse resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from recsys.warehouse import connect

if TYPE_CHECKING:
    import pandas as pd


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file that holds the raw, staging, intermediate and marts schemas.

    DuckDB allows one writing process per file: connections are opened per step and closed at once.
    Analysts read the Parquet snapshots published under `snapshots_path` instead (recsys/snapshots).
    """

    path: str
    snapshots_path: str = ""

    @property
    def snapshots_dir(self) -> Path:
        return Path(self.snapshots_path or Path(self.path).parent / "analytics")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=read_only) as conn:
            yield conn

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """The result of one read-only query: the asset modules' one way to run ad-hoc SQL."""
        with self.connect(read_only=True) as conn:
            return conn.execute(sql, params).df()
