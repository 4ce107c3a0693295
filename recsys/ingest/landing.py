"""The landing contract: which files the platform delivers, with which columns, types and keys.

This module is the single source of truth for the contract. The generator writes it, the raw loader
enforces it, and the README documents it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

EVENT_TYPES: tuple[str, ...] = ("view", "read", "like", "comment", "share")
SUBSCRIPTION_TIERS: tuple[str, ...] = ("free", "paid")

DAY_FOLDER_PREFIX = "date="
DAY_COMPLETE_MARKER = "_SUCCESS"
# The file forms a table folder may hold, matched case-insensitively: Parquet, CSV, gzipped CSV.
# Anything else in a table folder (another extension, a sub-folder, a `.tmp` upload) refuses the
# load naming it; hidden files (`.DS_Store`, `.part-0.parquet.crc`, an uploader's hidden temporary
# file) are ignored, as every Hadoop-style reader ignores them.
ACCEPTED_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")
_DAY_FOLDER = re.compile(r"date=(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class TableContract:
    """One landing table: its folder, typed columns (DuckDB types) and primary key."""

    name: str
    columns: dict[str, str]
    key: str
    partitioned_by_day: bool = False
    description: str = ""
    # Columns that may legitimately be NULL in every row of a delivery (any other all-NULL
    # contracted column is refused: it is a broken export, not data).
    may_be_all_null: tuple[str, ...] = ()

    def folder(self, landing_root: Path) -> Path:
        return landing_root / self.name


USERS = TableContract(
    name="users",
    columns={"user_id": "BIGINT", "signup_at": "TIMESTAMP", "country": "VARCHAR"},
    key="user_id",
    description="Readers of the platform, one row per account.",
)
CREATORS = TableContract(
    name="creators",
    columns={
        "creator_id": "BIGINT",
        "name": "VARCHAR",
        "category": "VARCHAR",
        "created_at": "TIMESTAMP",
    },
    key="creator_id",
    description="Creators who publish posts; category is their main topic.",
)
POSTS = TableContract(
    name="posts",
    columns={
        "post_id": "BIGINT",
        "creator_id": "BIGINT",
        "title": "VARCHAR",
        "body": "VARCHAR",
        "published_at": "TIMESTAMP",
        "is_paid": "BOOLEAN",
    },
    key="post_id",
    description="Posts published by creators; paid posts are for paying subscribers.",
)
SUBSCRIPTIONS = TableContract(
    name="subscriptions",
    columns={
        "subscription_id": "BIGINT",
        "user_id": "BIGINT",
        "creator_id": "BIGINT",
        "tier": "VARCHAR",
        "started_at": "TIMESTAMP",
        "ended_at": "TIMESTAMP",
    },
    key="subscription_id",
    description="Free or paid subscriptions of users to creators; ended_at is null while active.",
    may_be_all_null=("ended_at",),
)
EVENTS = TableContract(
    name="events",
    columns={
        "event_id": "BIGINT",
        "user_id": "BIGINT",
        "post_id": "BIGINT",
        "event_type": "VARCHAR",
        "event_at": "TIMESTAMP",
        "dwell_seconds": "DOUBLE",
    },
    key="event_id",
    partitioned_by_day=True,
    description="Reader interactions with posts, delivered as one folder per UTC day.",
)

DIMENSION_TABLES: tuple[TableContract, ...] = (USERS, CREATORS, POSTS, SUBSCRIPTIONS)
TABLES: tuple[TableContract, ...] = (*DIMENSION_TABLES, EVENTS)


def day_folder(landing_root: Path, day: dt.date) -> Path:
    """The folder holding one day of events, e.g. landing/events/date=2026-09-01."""
    return EVENTS.folder(landing_root) / f"{DAY_FOLDER_PREFIX}{day.isoformat()}"


def parse_day_folder(folder: Path) -> dt.date | None:
    """The day a `date=YYYY-MM-DD` folder holds, or None for any other name.

    Exactly that form: `date=20260909` or `date=2026-W37-3`, which Python's ISO parser would
    read as 2026-09-09, are not day folders.
    """
    match = _DAY_FOLDER.fullmatch(folder.name)
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def invalid_event_entries(landing_root: Path) -> list[str]:
    """Entries of landing/events that are not `date=YYYY-MM-DD` folders (hidden files aside).

    They are never loaded; the sensor and the ingest run warn about each so none goes unseen.
    """
    events_root = EVENTS.folder(landing_root)
    if not events_root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in events_root.iterdir()
        if not entry.name.startswith(".")
        and not (entry.is_dir() and parse_day_folder(entry) is not None)
    )


def complete_event_days(landing_root: Path) -> list[dt.date]:
    """Days whose event folder carries the completion marker, oldest first."""
    events_root = EVENTS.folder(landing_root)
    if not events_root.is_dir():
        return []
    days = [
        day
        for folder in events_root.iterdir()
        if (day := parse_day_folder(folder)) is not None and (folder / DAY_COMPLETE_MARKER).exists()
    ]
    return sorted(days)


def event_days(landing_root: Path) -> list[dt.date]:
    """Days with a `date=YYYY-MM-DD` folder, complete or not, oldest first."""
    events_root = EVENTS.folder(landing_root)
    if not events_root.is_dir():
        return []
    return sorted(
        day
        for folder in events_root.iterdir()
        if folder.is_dir() and (day := parse_day_folder(folder)) is not None
    )


def days_to_load(
    landing_root: Path, requested: Sequence[dt.date]
) -> tuple[list[dt.date], list[dt.date]]:
    """The requested days to load, and the gaps: days without any folder, which a range skips.

    A day with no delivery is legitimate (nothing happened, or nothing was exported). A lone day,
    or a range where no day was delivered, is returned as asked so the loader names the missing
    folder; a folder without its marker is always loaded, and refused by the loader.
    """
    gaps = [day for day in requested if not day_folder(landing_root, day).exists()]
    if len(gaps) == len(requested):
        return list(requested), []
    return [day for day in requested if day not in set(gaps)], gaps


def file_format(path: Path) -> str | None:
    """'parquet' or 'csv' for a file name the loader reads (any case), else None."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return None


def data_files(folder: Path) -> list[Path]:
    """The Parquet or CSV files of one table folder (or day folder), in name order."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and file_format(path) is not None and not path.name.startswith(".")
    )


def unreadable_entries(folder: Path) -> list[Path]:
    """Entries of a table (or day) folder the loader would not read: any file that is neither a
    data file nor the `_SUCCESS` marker, and any sub-folder. Hidden entries are ignored."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if not path.name.startswith(".")
        and path.name != DAY_COMPLETE_MARKER
        and not (path.is_file() and file_format(path) is not None)
    )


def delivery_fingerprint(landing_root: Path, day: dt.date) -> str:
    """A short hash of one day's delivered files (names, sizes, modification times).

    A re-delivered day gets a new fingerprint; an untouched one keeps it.
    """
    digest = hashlib.sha256()
    for path in data_files(day_folder(landing_root, day)):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]
