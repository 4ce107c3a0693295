"""Hand-built landing files for tests: a few rows per table, written the way the platform would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from recsys.ingest.landing import DAY_COMPLETE_MARKER, EVENTS, TableContract, day_folder


def write_table(folder: Path, rows: list[dict], name: str = "part-0.parquet") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def event_rows(day: dt.date, first_id: int, count: int) -> list[dict]:
    start = dt.datetime.combine(day, dt.time(8))
    return [
        {
            "event_id": first_id + offset,
            "user_id": 1 + offset % 3,
            "post_id": 10 + offset % 2,
            "event_type": "read",
            "event_at": start + dt.timedelta(minutes=offset),
            "dwell_seconds": 30.0,
        }
        for offset in range(count)
    ]


def deliver_day(landing: Path, day: dt.date, rows: list[dict], complete: bool = True) -> Path:
    folder = day_folder(landing, day)
    write_table(folder, rows)
    if complete:
        (folder / DAY_COMPLETE_MARKER).touch()
    return folder


def contract_columns(contract: TableContract = EVENTS) -> list[str]:
    return list(contract.columns)
