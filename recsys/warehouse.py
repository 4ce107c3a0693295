"""Reading and writing whole warehouse tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Replace schema.table with `frame` in one transaction: readers see old or new, never half."""
    schema = _checked(table).split(".")[0]
    conn.register("_replacement", frame)
    try:
        with transaction(conn):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _replacement")
    finally:
        conn.unregister("_replacement")
    return len(frame)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raised."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read_table(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """A whole table (or some of its columns) as a DataFrame."""
    selected = ", ".join(columns) if columns else "*"
    return conn.execute(f"SELECT {selected} FROM {_checked(table)}").df()


def table_schema(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column, type) pairs of a warehouse table, in column order."""
    schema, name = _checked(table).split(".", 1)
    return [
        (str(column), str(dtype))
        for column, dtype in conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    ]


def _checked(table: str) -> str:
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a schema.table name: {table!r}")
    return table
