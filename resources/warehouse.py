"""The DuckDB warehouse resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb


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
        if not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.path, read_only=read_only)
        try:
            yield conn
        finally:
            conn.close()
