"""A check simpler in pandas than in GX: events' referential coverage (volume: volume.py)."""

from __future__ import annotations

import pandas as pd

MIN_REFERENTIAL_COVERAGE = 0.99


def referential_coverage(events: pd.DataFrame, users: pd.DataFrame, posts: pd.DataFrame) -> float:
    """Share of events whose user and post both exist; 1.0 for no events (nothing is orphaned)."""
    if len(events) == 0:
        return 1.0
    known_user = events["user_id"].isin(users["user_id"])
    known_post = events["post_id"].isin(posts["post_id"])
    return float((known_user & known_post).mean())


def coverage_ok(coverage: float) -> bool:
    return coverage >= MIN_REFERENTIAL_COVERAGE
