"""Two checks simpler in pandas than in GX: events' referential coverage and a day's volume."""

from __future__ import annotations

import statistics

import pandas as pd

MIN_REFERENTIAL_COVERAGE = 0.99
MIN_VOLUME_RATIO = 0.5
MAX_VOLUME_RATIO = 2.0


def referential_coverage(events: pd.DataFrame, users: pd.DataFrame, posts: pd.DataFrame) -> float:
    """Share of events whose user and post both exist; 1.0 for no events (nothing is orphaned)."""
    if len(events) == 0:
        return 1.0
    known_user = events["user_id"].isin(users["user_id"])
    known_post = events["post_id"].isin(posts["post_id"])
    return float((known_user & known_post).mean())


def coverage_ok(coverage: float) -> bool:
    return coverage >= MIN_REFERENTIAL_COVERAGE


def volume_ratio(day_rows: int, trailing_rows: list[int]) -> float:
    """Today's row count over the median of the trailing days' counts.

    With no trailing history there is nothing to compare with: the ratio is 1.0 for a non-empty
    day and 0.0 for an empty one, so an empty day still fails.
    """
    if day_rows == 0:
        return 0.0
    baseline = statistics.median(trailing_rows) if trailing_rows else 0
    if baseline <= 0:
        return 1.0
    return day_rows / baseline


def volume_ok(ratio: float) -> bool:
    return MIN_VOLUME_RATIO <= ratio <= MAX_VOLUME_RATIO
