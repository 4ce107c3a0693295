"""The landing contract: which files the platform delivers, with which columns, types and keys.

This module is the single source of truth for the contract. The generator writes it, the raw loader
enforces it, and the README documents it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

EVENT_TYPES: tuple[str, ...] = ("view", "read", "like", "comment", "share")
SUBSCRIPTION_TIERS: tuple[str, ...] = ("free", "paid")

DAY_FOLDER_PREFIX = "date="
DAY_COMPLETE_MARKER = "_SUCCESS"
ACCEPTED_SUFFIXES: tuple[str, ...] = (".parquet", ".csv")


@dataclass(frozen=True)
class TableContract:
    """One landing table: its folder, typed columns (DuckDB types) and primary key."""

    name: str
    columns: dict[str, str]
    key: str
    partitioned_by_day: bool = False
    description: str = ""

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
    """The day a `date=YYYY-MM-DD` folder holds, or None for any other folder."""
    if not folder.name.startswith(DAY_FOLDER_PREFIX):
        return None
    try:
        return dt.date.fromisoformat(folder.name.removeprefix(DAY_FOLDER_PREFIX))
    except ValueError:
        return None


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


def data_files(folder: Path) -> list[Path]:
    """The Parquet or CSV files of one table folder (or day folder), in name order."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and path.suffix in ACCEPTED_SUFFIXES and not path.name.startswith(".")
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
