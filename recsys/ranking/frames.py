"""DataFrames lent to DuckDB queries by name for the duration of a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from recsys.identifiers import checked_identifier

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, **frames: pd.DataFrame) -> Iterator[None]:
    """Each frame queryable under its keyword's name inside the block (a read-only warehouse
    connection too: a registered frame is a temporary view, nothing is written)."""
    names = [checked_identifier(name) for name in frames]
    for name in names:
        conn.register(name, frames[name])
    try:
        yield
    finally:
        for name in names:
            conn.unregister(name)
