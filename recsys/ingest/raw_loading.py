"""Load landing files into the warehouse's raw schema, enforcing the landing contract.

Every load is one DuckDB transaction: a table or a day is replaced whole or not at all, and
loading the same day twice leaves one copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.ingest.landing import EVENTS, TableContract, data_files, day_folder
from recsys.warehouse import transaction

RAW_SCHEMA = "raw"
EVENT_DATE_COLUMN = "event_date"


class LandingFileError(ValueError):
    """A landing file is missing, unreadable or breaks the contract; the message names the file."""


@dataclass(frozen=True)
class LoadResult:
    """What one load wrote: the target table, the files read and the rows now in place."""

    table: str
    files: tuple[Path, ...]
    rows_loaded: int
    rows_in_table: int


def raw_table_name(contract: TableContract) -> str:
    return f"{RAW_SCHEMA}.{contract.name}"


def load_dimension_table(
    conn: duckdb.DuckDBPyConnection, contract: TableContract, landing_root: Path
) -> LoadResult:
    """Replace raw.<table> with the contents of the table's landing folder."""
    files = _required_files(contract.folder(landing_root), contract)
    select = _typed_select(conn, contract, files)
    table = raw_table_name(contract)
    with transaction(conn):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS {select}")
    rows = _count(conn, table)
    return LoadResult(table=table, files=tuple(files), rows_loaded=rows, rows_in_table=rows)


def load_event_days(
    conn: duckdb.DuckDBPyConnection, landing_root: Path, days: Sequence[dt.date]
) -> LoadResult:
    """Replace the given days of raw.events with their landing folders, all in one transaction."""
    files_by_day = {day: _required_files(day_folder(landing_root, day), EVENTS) for day in days}
    selects = {day: _typed_select(conn, EVENTS, files) for day, files in files_by_day.items()}
    table = raw_table_name(EVENTS)
    rows_loaded = 0
    with transaction(conn):
        _create_events_table(conn)
        for day, select in selects.items():
            conn.execute(f"DELETE FROM {table} WHERE {EVENT_DATE_COLUMN} = ?", [day])
            inserted = conn.execute(
                f"INSERT INTO {table} SELECT *, ?::DATE AS {EVENT_DATE_COLUMN} FROM ({select})",
                [day],
            ).fetchone()
            rows_loaded += inserted[0] if inserted else 0
    all_files = tuple(path for files in files_by_day.values() for path in files)
    return LoadResult(
        table=table, files=all_files, rows_loaded=rows_loaded, rows_in_table=_count(conn, table)
    )


def _create_events_table(conn: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {dtype}" for name, dtype in EVENTS.columns.items())
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {raw_table_name(EVENTS)} "
        f"({columns}, {EVENT_DATE_COLUMN} DATE NOT NULL)"
    )


def _required_files(folder: Path, contract: TableContract) -> list[Path]:
    files = data_files(folder)
    if not files:
        raise LandingFileError(
            f"No landing file for table '{contract.name}': expected *.parquet or *.csv in {folder}"
        )
    return files


def _typed_select(
    conn: duckdb.DuckDBPyConnection, contract: TableContract, files: list[Path]
) -> str:
    """A SELECT over the files that yields exactly the contract's columns and types.

    Each file is checked on its own first, so an error names the file at fault.
    """
    for path in files:
        _check_file(conn, contract, path)
    reader = _reader_sql(contract, files)
    columns = ", ".join(
        f"CAST({name} AS {dtype}) AS {name}" for name, dtype in contract.columns.items()
    )
    return f"SELECT {columns} FROM {reader}"


def _check_file(conn: duckdb.DuckDBPyConnection, contract: TableContract, path: Path) -> None:
    reader = _reader_sql(contract, [path])
    try:
        described = conn.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as error:
        raise LandingFileError(
            f"Cannot read landing file {path} (table '{contract.name}'): {error}"
        ) from error
    present = {str(row[0]): str(row[1]) for row in described}
    missing = [name for name in contract.columns if name not in present]
    if missing:
        raise LandingFileError(
            f"Landing file {path} (table '{contract.name}') lacks column(s) {', '.join(missing)}; "
            f"the contract expects {', '.join(contract.columns)}"
        )
    # Parquet carries types: text where the contract wants numbers or times is a producer bug, not
    # a format choice (CSV is text by nature and is cast below).
    if path.suffix == ".parquet":
        as_text = [
            name
            for name, dtype in contract.columns.items()
            if present[name] == "VARCHAR" and dtype != "VARCHAR"
        ]
        if as_text:
            expected = ", ".join(f"{name} as {contract.columns[name]}" for name in as_text)
            raise LandingFileError(
                f"Landing file {path} (table '{contract.name}') stores {', '.join(as_text)} as "
                f"text; the contract expects {expected}"
            )
    # Columns already stored with the contract's type need no scan; only the others are checked
    # value by value, which keeps well-typed Parquet as cheap as a plain load.
    to_cast = [name for name, dtype in contract.columns.items() if present[name] != dtype]
    if not to_cast:
        return
    casts = ", ".join(
        f"count(TRY_CAST({name} AS {contract.columns[name]})) = count({name})" for name in to_cast
    )
    try:
        castable = conn.execute(f"SELECT {casts} FROM {reader}").fetchone()
    except duckdb.Error as error:
        raise LandingFileError(
            f"Cannot read landing file {path} (table '{contract.name}'): {error}"
        ) from error
    bad = [name for name, ok in zip(to_cast, castable or (), strict=True) if not ok]
    if bad:
        expected = ", ".join(f"{name} as {contract.columns[name]}" for name in bad)
        raise LandingFileError(
            f"Landing file {path} (table '{contract.name}') has values that cannot be read as "
            f"{expected}"
        )


def _reader_sql(contract: TableContract, files: Sequence[Path]) -> str:
    paths = "[" + ", ".join(_sql_string(str(path)) for path in files) + "]"
    if all(path.suffix == ".parquet" for path in files):
        return f"read_parquet({paths}, union_by_name = true)"
    if all(path.suffix == ".csv" for path in files):
        # Every column is read as text and cast by the contract, so CSV and Parquet load alike.
        return f"read_csv({paths}, header = true, all_varchar = true, union_by_name = true)"
    raise LandingFileError(
        f"Table '{contract.name}' mixes Parquet and CSV files in one folder: "
        + ", ".join(str(path) for path in files)
    )


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
