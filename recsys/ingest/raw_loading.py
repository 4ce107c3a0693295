"""Load landing files into the warehouse's raw schema, enforcing the landing contract.

Every value converts to its contract type exactly, or the load is refused with a message naming the
file, the column and an example row (`conversion.py` holds the rules). A delivery is complete and
well-formed, or it is refused. Every load is one DuckDB transaction: a table or a set of days is
replaced whole or not at all, so after a refusal the warehouse holds what it held before, and
loading the same day twice leaves one copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.ingest.conversion import (
    LandingFileError,
    TimestampBounds,
    check_file,
    typed_select,
)
from recsys.ingest.landing import (
    DAY_COMPLETE_MARKER,
    EVENTS,
    TableContract,
    complete_event_days,
    data_files,
    day_folder,
    unreadable_entries,
)
from recsys.warehouse import transaction

__all__ = [
    "EVENT_DATE_COLUMN",
    "RAW_SCHEMA",
    "LandingFileError",
    "LoadResult",
    "TimestampBounds",
    "load_dimension_table",
    "load_event_days",
    "raw_table_name",
]

RAW_SCHEMA = "raw"
EVENT_DATE_COLUMN = "event_date"


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
    conn: duckdb.DuckDBPyConnection,
    contract: TableContract,
    landing_root: Path,
    bounds: TimestampBounds | None = None,
) -> LoadResult:
    """Replace raw.<table> with the contents of the table's landing folder.

    Timestamps must lie between `bounds.earliest` and `bounds.max_ahead` past the end of the
    newest complete day of events in the landing zone (the data's own date; now, without events).
    """
    folder = contract.folder(landing_root)
    files = _required_files(folder, contract)
    window = (bounds or TimestampBounds()).window(_data_as_of(landing_root))
    selects = [typed_select(check_file(conn, contract, path, window)) for path in files]
    table = raw_table_name(contract)
    with transaction(conn):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS {' UNION ALL '.join(selects)}")
        rows = _count(conn, table)
        if rows == 0:
            raise LandingFileError(
                f"The delivery of table '{contract.name}' in {folder} holds no rows "
                f"({', '.join(path.name for path in files)}); an empty dimension delivery is "
                "refused"
            )
        _refuse_all_null_columns(conn, contract, table, "", files)
    return LoadResult(table=table, files=tuple(files), rows_loaded=rows, rows_in_table=rows)


def load_event_days(
    conn: duckdb.DuckDBPyConnection, landing_root: Path, days: Sequence[dt.date]
) -> LoadResult:
    """Replace the given days of raw.events with their landing folders, all in one transaction.

    Each day must be complete: its folder carries the `_SUCCESS` marker.
    """
    files_by_day = {day: _required_day_files(landing_root, day) for day in days}
    selects = {
        day: " UNION ALL ".join(typed_select(check_file(conn, EVENTS, path)) for path in files)
        for day, files in files_by_day.items()
    }
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
            _refuse_all_null_columns(
                conn, EVENTS, table, f"{EVENT_DATE_COLUMN} = DATE '{day}'", files_by_day[day]
            )
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


def _required_day_files(landing_root: Path, day: dt.date) -> list[Path]:
    folder = day_folder(landing_root, day)
    files = _required_files(folder, EVENTS)
    if not (folder / DAY_COMPLETE_MARKER).is_file():
        raise LandingFileError(
            f"Day folder {folder} has no {DAY_COMPLETE_MARKER} marker: the delivery of "
            f"{day} is not complete (the marker is written last, after every file)"
        )
    return files


def _required_files(folder: Path, contract: TableContract) -> list[Path]:
    unread = unreadable_entries(folder)
    if unread:
        raise LandingFileError(
            f"Landing folder {folder} (table '{contract.name}') holds "
            f"{', '.join(repr(path.name) for path in unread)}, which the loader does not read: "
            "every entry must be a .parquet, .csv or .csv.gz file (any case) or the "
            f"{DAY_COMPLETE_MARKER} marker; remove it or deliver it in one of those forms"
        )
    files = data_files(folder)
    if not files:
        raise LandingFileError(
            f"No landing file for table '{contract.name}': expected *.parquet or *.csv in {folder}"
        )
    return files


def _refuse_all_null_columns(
    conn: duckdb.DuckDBPyConnection,
    contract: TableContract,
    table: str,
    where: str,
    files: Sequence[Path],
) -> None:
    """A contracted column NULL on every row of a non-empty delivery is a broken export."""
    columns = [name for name in contract.columns if name not in contract.may_be_all_null]
    counts = ", ".join(f'count("{name}")' for name in columns)
    row = conn.execute(
        f"SELECT count(*), {counts} FROM {table}" + (f" WHERE {where}" if where else "")
    ).fetchone()
    if not row or row[0] == 0:
        return
    empty = [name for name, count in zip(columns, row[1:], strict=True) if count == 0]
    if empty:
        raise LandingFileError(
            f"Landing files {', '.join(str(path) for path in files)} (table '{contract.name}') "
            f"hold no value at all in column(s) {', '.join(empty)} ({row[0]} rows, every one "
            "NULL); an all-NULL contracted column is refused"
        )


def _data_as_of(landing_root: Path) -> dt.datetime:
    """The end of the newest complete day of events, or now (naive UTC) without any."""
    days = complete_event_days(landing_root)
    if days:
        return dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time())
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
