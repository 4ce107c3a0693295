"""The DuckDB warehouse: the one way to open it, and reading and writing whole tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from recsys.identifiers import checked_identifier, checked_table

if TYPE_CHECKING:
    import pandas as pd


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed when the block ends.

    DuckDB admits one writing process per file, so connections are held for one step and no
    longer. A writer creates the file's folder (a fresh data folder has none); a reader never
    creates anything, and DuckDB refuses to open a missing file read-only.
    """
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        yield conn
    finally:
        conn.close()


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Replace schema.table with `frame` in one transaction: readers see old or new, never half."""
    schema = checked_table(table).split(".")[0]
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
    selected = ", ".join(checked_identifier(c) for c in columns) if columns else "*"
    return conn.execute(f"SELECT {selected} FROM {checked_table(table)}").df()


def table_schema(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column, type) pairs of a warehouse table, in column order."""
    schema, name = checked_table(table).split(".", 1)
    return [
        (str(column), str(dtype))
        for column, dtype in conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    ]


def latest_event_at(conn: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The data's own clock: when the last staged event happened (None before any event).

    Windows (freshness, drift) are measured from it, never from the wall clock, so a history
    replayed or delivered late is judged as of its own dates.
    """
    row = conn.execute("SELECT max(event_at) FROM staging.stg_events").fetchone()
    return row[0] if row else None
