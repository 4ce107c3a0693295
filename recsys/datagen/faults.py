"""Faults on demand: damage one day's delivered events after a clean generation.

Each fault rewrites (or adds) files of one `date=YYYY-MM-DD` folder atomically (temporary file
renamed into place) and leaves the `_SUCCESS` marker alone, so the day still counts as complete:
the defect arrives as a regular, finished delivery. The platform-level faults day_without_marker
and bad_day_folder are the exceptions: they damage the delivery itself. The clean generation is
untouched by this module; other days are never read for writing.

Faults (FAULTS):
- duplicate_events: a share of the day's rows re-delivered unchanged (same event_id) in an extra
  file of the day folder (part-N.parquet).
- null_keys: user_id set to null on a share of rows.
- orphan_events: user_id (half of the chosen rows) or post_id (the other half) set to ids past the
  largest existing user / post id.
- future_timestamps: event_at of a share of rows moved FUTURE_YEARS years later (after any
  plausible now, and outside the day's folder).
- wrong_types: user_id written as a string column (decimal digits) in the Parquet file.
- unknown_event_types: event_type "click" on a share of rows.
- bot_flood: an existing user (signed up before the day) emits BOT_EVENTS extra views that day,
  with new event_ids past the largest event_id of the landing zone, on posts published before.
- truncated_file: the day's Parquet file cut to half its bytes (unreadable by pyarrow).
- missing_column: dwell_seconds dropped.
- empty_day: the day's file replaced by one with the contract columns and zero rows.
- day_without_marker: the day's `_SUCCESS` marker removed, as when an upload stops before the end.
- stray_file: a copy of the day's file left beside it as STRAY_SUFFIX (a producer's backup), a
  file the loader does not read.
- bad_day_folder: the day delivered under `date=YYYYMMDD` instead of `date=YYYY-MM-DD`.
- fractional_ids: post_id written as a DOUBLE column, a share of rows off by a half (15.5).
- nan_dwell: dwell_seconds NaN on a share of rows.
- zoned_timestamps: not a defect but a form: the day rewritten as CSV (part-0.csv) with event_at
  as ISO text in local time with the offset ZONED_OFFSET; it must load as the same UTC instants.

Faults on the dimension deliveries (users, creators, posts, subscriptions) are in
recsys.datagen.dimension_faults.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from recsys.datagen.clock import US_PER_DAY, as_datetime64, day_start_us
from recsys.datagen.files import contract_schema, write_parquet
from recsys.ingest.landing import (
    DAY_COMPLETE_MARKER,
    DAY_FOLDER_PREFIX,
    EVENTS,
    POSTS,
    USERS,
    data_files,
    day_folder,
)

FAULTS: tuple[str, ...] = (
    "duplicate_events",
    "null_keys",
    "orphan_events",
    "future_timestamps",
    "wrong_types",
    "unknown_event_types",
    "bot_flood",
    "truncated_file",
    "missing_column",
    "empty_day",
    "day_without_marker",
    "stray_file",
    "bad_day_folder",
    "fractional_ids",
    "nan_dwell",
    "zoned_timestamps",
)
# Share of the day's rows a row-level fault touches (at least one row).
FAULT_SHARE = 0.05
UNKNOWN_EVENT_TYPE = "click"
FUTURE_YEARS = 50
BOT_EVENTS = 5_000
BOT_DWELL_SECONDS = 1.0
DROPPED_COLUMN = "dwell_seconds"
STRAY_SUFFIX = ".bak"
FRACTIONAL_ID_COLUMN = "post_id"
# India's offset: a half-hour, so a loader keeping only whole hours would show it too.
ZONED_OFFSET = dt.timedelta(hours=5, minutes=30)
# Random stream of the faults, apart from the generator's streams (see platform.py).
FAULT_STREAM = 100


@dataclass(frozen=True)
class FaultReport:
    """What a fault changed: the files written, rows before/after and the event ids involved.

    `event_ids` are the ids of the rows the fault touched (duplicated, nulled, orphaned, moved,
    retyped, renamed, added by the bot, or lost with the truncated / emptied / narrowed file).
    `details` holds fault-specific facts, e.g. the bot's user_id or the orphan ids used.
    """

    fault: str
    day: dt.date
    files: tuple[Path, ...]
    rows_before: int
    rows_after: int
    event_ids: tuple[int, ...]
    details: dict[str, object] = field(default_factory=dict)


def apply_fault(landing: Path, fault: str, day: dt.date, seed: int) -> FaultReport:
    """Damage the events of `day` under the landing root `landing` with `fault` (see FAULTS)."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; choose one of {list(FAULTS)}")
    folder = day_folder(landing, day)
    files = data_files(folder)
    if not files or not (folder / DAY_COMPLETE_MARKER).exists():
        raise FileNotFoundError(f"no complete delivery of events for {day} under {landing}")
    path = files[0]
    rng = np.random.default_rng([seed, FAULT_STREAM, FAULTS.index(fault), day.toordinal()])
    if fault == "truncated_file":
        return _truncate(path, day)
    table = pq.read_table(path)
    n = table.num_rows
    ids = table.column("event_id")
    if fault == "day_without_marker":
        marker = folder / DAY_COMPLETE_MARKER
        marker.unlink()
        return _report(fault, day, (marker,), n, n, ids, np.arange(n))
    if fault == "stray_file":
        stray = path.with_name(path.name + STRAY_SUFFIX)
        temporary = stray.with_name(f".{stray.name}.tmp")
        temporary.write_bytes(path.read_bytes())
        os.replace(temporary, stray)
        return _report(fault, day, (stray,), n, n, ids, np.arange(n))
    if fault == "bad_day_folder":
        renamed = folder.with_name(f"{DAY_FOLDER_PREFIX}{day:%Y%m%d}")
        os.replace(folder, renamed)
        return _report(fault, day, (renamed,), n, n, ids, np.arange(n), folder=renamed.name)
    if fault == "zoned_timestamps":
        return _zoned(path, table, day)
    if fault == "duplicate_events":
        rows = choose_rows(n, rng)
        target = _next_part(folder)
        write_parquet(table.take(pa.array(rows)), target)
        return _report(fault, day, (target,), n, n + len(rows), ids, rows)
    if fault == "empty_day":
        write_parquet(contract_schema(EVENTS).empty_table(), path)
        return _report(fault, day, (path,), n, 0, ids, np.arange(n))
    if fault == "missing_column":
        write_parquet(table.drop_columns([DROPPED_COLUMN]), path)
        return _report(fault, day, (path,), n, n, ids, np.arange(n), column=DROPPED_COLUMN)
    if fault == "wrong_types":
        retyped = pc.cast(table.column("user_id"), pa.string())
        index = table.schema.get_field_index("user_id")
        write_parquet(table.set_column(index, "user_id", retyped), path)
        return _report(fault, day, (path,), n, n, ids, np.arange(n), column="user_id")
    if fault == "bot_flood":
        return _bot_flood(landing, path, table, day, rng)
    rows = choose_rows(n, rng)
    details: dict[str, object] = {}
    if fault == "null_keys":
        table = replace_rows(table, "user_id", rows, None)
    elif fault == "nan_dwell":
        table = replace_rows(table, "dwell_seconds", rows, float("nan"))
    elif fault == "fractional_ids":
        index = table.schema.get_field_index(FRACTIONAL_ID_COLUMN)
        as_double = table.column(FRACTIONAL_ID_COLUMN).cast(pa.float64())
        table = table.set_column(index, FRACTIONAL_ID_COLUMN, as_double)
        halves = as_double.to_numpy()[rows] + 0.5
        table = replace_rows(table, FRACTIONAL_ID_COLUMN, rows, halves)
        details = {"column": FRACTIONAL_ID_COLUMN}
    elif fault == "unknown_event_types":
        table = replace_rows(table, "event_type", rows, UNKNOWN_EVENT_TYPE)
    elif fault == "future_timestamps":
        at = table.column("event_at").to_numpy().view(np.int64).copy()
        at[rows] += int(FUTURE_YEARS * 365.25 * US_PER_DAY)
        table = table.set_column(
            table.schema.get_field_index("event_at"),
            "event_at",
            pa.array(as_datetime64(at), pa.timestamp("us")),
        )
    elif fault == "orphan_events":
        half = len(rows) // 2 if len(rows) > 1 else len(rows)
        user_rows, post_rows = rows[:half], rows[half:]
        max_user = _max_id(USERS.folder(landing), "user_id")
        max_post = _max_id(POSTS.folder(landing), "post_id")
        orphan_users = max_user + 1 + np.arange(len(user_rows), dtype=np.int64)
        orphan_posts = max_post + 1 + np.arange(len(post_rows), dtype=np.int64)
        table = replace_rows(table, "user_id", user_rows, orphan_users)
        table = replace_rows(table, "post_id", post_rows, orphan_posts)
        details = {
            "orphan_user_ids": tuple(int(i) for i in orphan_users),
            "orphan_post_ids": tuple(int(i) for i in orphan_posts),
        }
    write_parquet(table, path)
    return _report(fault, day, (path,), n, n, ids, rows, **details)


def choose_rows(n: int, rng: np.random.Generator) -> np.ndarray:
    """A sorted random FAULT_SHARE of the row indexes 0..n-1 (at least one if there are rows)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = max(1, round(n * FAULT_SHARE))
    return np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)


def replace_rows(table: pa.Table, column: str, rows: np.ndarray, value: object) -> pa.Table:
    """The table with `column` at `rows` set to `value` (a scalar, None or one value per row)."""
    index = table.schema.get_field_index(column)
    kind = table.schema.field(column).type
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    if isinstance(value, np.ndarray):
        full = np.zeros(table.num_rows, dtype=value.dtype)
        full[rows] = value
        replacement: pa.Array | pa.Scalar = pa.array(full, kind)
    else:
        replacement = pa.scalar(value, kind)
    replaced = pc.if_else(pa.array(mask), replacement, table.column(column))
    return table.set_column(index, column, replaced)


def _report(
    fault: str,
    day: dt.date,
    files: tuple[Path, ...],
    before: int,
    after: int,
    ids: pa.ChunkedArray,
    rows: np.ndarray,
    **details: object,
) -> FaultReport:
    event_ids = ids.to_numpy()[rows] if len(rows) else np.zeros(0, np.int64)
    return FaultReport(fault, day, files, before, after, tuple(int(i) for i in event_ids), details)


def _next_part(folder: Path) -> Path:
    """The first free part-N.parquet name of a day folder."""
    index = 0
    while (folder / f"part-{index}.parquet").exists():
        index += 1
    return folder / f"part-{index}.parquet"


def _max_id(folder: Path, column: str) -> int:
    return max(
        (int(pc.max(pq.read_table(path, columns=[column]).column(column)).as_py() or 0))
        for path in data_files(folder)
    )


def _max_event_id(landing: Path) -> int:
    """The largest event_id over every readable event file of the landing zone."""
    largest = 0
    for folder in sorted(EVENTS.folder(landing).iterdir()):
        for path in data_files(folder):
            try:
                column = pq.read_table(path, columns=["event_id"]).column("event_id")
            except (pa.ArrowException, OSError):
                continue
            value = pc.max(column).as_py()
            largest = max(largest, int(value or 0))
    return largest


def _truncate(path: Path, day: dt.date) -> FaultReport:
    data = path.read_bytes()
    try:
        ids = pq.read_table(path, columns=["event_id"]).column("event_id")
        n = len(ids)
    except (pa.ArrowException, OSError):
        ids, n = pa.chunked_array([], pa.int64()), 0
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data[: len(data) // 2])
    os.replace(temporary, path)
    return _report(
        "truncated_file", day, (path,), n, 0, ids, np.arange(n),
        bytes_before=len(data), bytes_after=len(data) // 2,
    )  # fmt: skip


def _zoned(path: Path, table: pa.Table, day: dt.date) -> FaultReport:
    """The day as CSV with event_at as local time plus its offset, the way a spreadsheet or
    another warehouse's export writes instants; the Parquet file it replaces is removed."""
    local = pc.add(table.column("event_at"), pa.scalar(ZONED_OFFSET, pa.duration("us")))
    minutes = int(ZONED_OFFSET.total_seconds()) // 60
    offset = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    # Arrow's %S carries the microseconds of a timestamp("us") column (SS.ffffff).
    text = pc.binary_join_element_wise(pc.strftime(local, "%Y-%m-%dT%H:%M:%S"), offset, "")
    zoned = table.set_column(table.schema.get_field_index("event_at"), "event_at", text)
    target = path.with_suffix(".csv")
    temporary = target.with_name(f".{target.name}.tmp")
    pa_csv.write_csv(zoned, temporary)
    os.replace(temporary, target)
    path.unlink()
    n = table.num_rows
    return _report(
        "zoned_timestamps", day, (target,), n, n, table.column("event_id"), np.arange(n),
        offset=offset,
    )  # fmt: skip


def _bot_flood(
    landing: Path, path: Path, table: pa.Table, day: dt.date, rng: np.random.Generator
) -> FaultReport:
    start_us = day_start_us(day)
    users = pq.read_table(USERS.folder(landing) / "users.parquet", columns=["user_id", "signup_at"])
    signup = users.column("signup_at").to_numpy().view(np.int64)
    eligible = users.column("user_id").to_numpy()[signup < start_us]
    posts = pq.read_table(
        POSTS.folder(landing) / "posts.parquet", columns=["post_id", "published_at"]
    )
    published = posts.column("published_at").to_numpy().view(np.int64)
    old_posts = posts.column("post_id").to_numpy()[published < start_us]
    if len(eligible) == 0 or len(old_posts) == 0:
        raise ValueError(f"no user or post exists before {day} to flood with")
    bot = int(rng.choice(eligible))
    at = np.sort(start_us + rng.integers(0, US_PER_DAY, BOT_EVENTS))
    first_id = _max_event_id(landing) + 1
    new_ids = np.arange(first_id, first_id + BOT_EVENTS, dtype=np.int64)
    flood = pa.table(
        {
            "event_id": new_ids,
            "user_id": np.full(BOT_EVENTS, bot, dtype=np.int64),
            "post_id": rng.choice(old_posts, BOT_EVENTS).astype(np.int64),
            "event_type": pa.array(["view"] * BOT_EVENTS, pa.string()),
            "event_at": pa.array(as_datetime64(at), pa.timestamp("us")),
            "dwell_seconds": np.full(BOT_EVENTS, BOT_DWELL_SECONDS),
        },
        schema=table.schema,
    )
    merged = pa.concat_tables([table, flood])
    merged = merged.take(pc.sort_indices(merged, [("event_at", "ascending")]))
    write_parquet(merged, path)
    return FaultReport(
        "bot_flood",
        day,
        (path,),
        table.num_rows,
        merged.num_rows,
        tuple(int(i) for i in new_ids),
        {"user_id": bot},
    )
