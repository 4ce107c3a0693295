"""The two windows drift compares, and the sampled event features read from each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recsys.monitoring.drift import SAMPLE_ROWS
from recsys.settings import DEFAULT_DRIFT_CURRENT_DAYS, DEFAULT_DRIFT_REFERENCE_DAYS

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# The reference is the last two weeks the model learned from; the current window, the last week
# up to the latest event (CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS / _CURRENT_DAYS).
REFERENCE_DAYS = DEFAULT_DRIFT_REFERENCE_DAYS
CURRENT_DAYS = DEFAULT_DRIFT_CURRENT_DAYS

DRIFT_FEATURES = """
    SELECT c.category, e.event_type, e.dwell_seconds, hour(e.event_at) AS hour_of_day
    FROM staging.stg_events AS e JOIN staging.stg_creators AS c USING (creator_id)
    WHERE e.event_at > ? AND e.event_at <= ?
"""
# DuckDB draws the report's sample while it scans: a window of a large platform (17M events in
# three weeks) would take most of the check's time to reach pandas, only to be sampled there.
SAMPLED_DRIFT_FEATURES = (
    f"SELECT * FROM ({DRIFT_FEATURES}) USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7)"
)
WINDOW_EVENTS = "SELECT count(*) FROM staging.stg_events WHERE event_at > ? AND event_at <= ?"


@dataclass(frozen=True)
class DriftWindows:
    """Reference (reference_start, trained_through] and current (current_start, latest]."""

    reference_start: dt.datetime
    trained_through: dt.datetime
    current_start: dt.datetime
    latest: dt.datetime


def drift_windows(
    trained_through: dt.datetime,
    latest: dt.datetime | None,
    reference_days: int = REFERENCE_DAYS,
    current_days: int = CURRENT_DAYS,
) -> DriftWindows | None:
    """The windows to compare, or None when no event came after the model was trained.

    The current window never starts before `trained_through`, so it never holds events the model
    learned from (the two windows never overlap).
    """
    if latest is None or latest <= trained_through:
        return None
    return DriftWindows(
        reference_start=trained_through - dt.timedelta(days=reference_days),
        trained_through=trained_through,
        current_start=max(latest - dt.timedelta(days=current_days), trained_through),
        latest=latest,
    )


def read_window(
    conn: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime
) -> tuple[pd.DataFrame, int]:
    """Drift features of at most SAMPLE_ROWS events in (start, end], and the window's size."""
    events = conn.execute(WINDOW_EVENTS, [start, end]).fetchone()
    return conn.execute(SAMPLED_DRIFT_FEATURES, [start, end]).df(), int(events[0] if events else 0)
