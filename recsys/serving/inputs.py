"""What the user tables are built from, read from the warehouse: who is served, what is excluded.

The same queries define what the tables' checks hold them to (no subscribed creator, no opened
post, every served user covered), so the tables and their checks cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.warehouse import latest_event_at

if TYPE_CHECKING:
    import duckdb

SERVED_USERS = "SELECT user_id FROM marts.user_features WHERE NOT is_bot"
ACTIVE_SUBSCRIPTIONS = "SELECT user_id, creator_id FROM staging.stg_subscriptions WHERE is_active"
OPENED_POSTS = "SELECT DISTINCT user_id, post_id FROM staging.stg_events"
CREATOR_FEATURES = "SELECT * FROM marts.creator_features"
FEED_POSTS = "SELECT post_id, creator_id, published_at, n_distinct_readers FROM marts.post_features"
POST_PUBLICATIONS = "SELECT post_id, published_at FROM marts.post_features"
# Written by the feed_creators asset (user_tables.feed_creators) from the champion ALS model.
FEED_CREATORS = "recommendations.feed_creators"


@dataclass(frozen=True)
class CreatorInputs:
    """Users to serve, their active subscriptions, and the creator features the fallback ranks."""

    users: np.ndarray
    subscribed: pd.DataFrame
    creators: pd.DataFrame


@dataclass(frozen=True)
class FeedInputs:
    """Users to serve, the posts with their readers, the posts each user opened, and `as_of`, the
    latest event (the feed's "now": freshness is measured from it, not from the wall clock).
    """

    users: np.ndarray
    posts: pd.DataFrame
    seen: pd.DataFrame
    as_of: pd.Timestamp


def served_users(conn: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Ids of the users the tables serve: every user but bots."""
    return conn.execute(SERVED_USERS).df()["user_id"].to_numpy()


def in_feed_window(published_at: pd.Series, as_of: pd.Timestamp, window_days: float) -> pd.Series:
    """Which posts a feed can show: published at most `window_days` before `as_of`, not after."""
    age_days = (as_of - published_at).dt.total_seconds() / 86_400
    return (age_days >= 0) & (age_days <= window_days)


def feed_eligible_post_ids(conn: duckdb.DuckDBPyConnection, window_days: float) -> np.ndarray:
    """Ids of the posts a feed can show as of the latest event (none before any event)."""
    as_of = latest_event_at(conn)
    posts = conn.execute(POST_PUBLICATIONS).df()
    if as_of is None:
        return np.empty(0, dtype=np.int64)
    eligible = in_feed_window(posts["published_at"], pd.Timestamp(as_of), window_days)
    return posts.loc[eligible, "post_id"].to_numpy(np.int64)


def read_creator_inputs(conn: duckdb.DuckDBPyConnection) -> CreatorInputs:
    return CreatorInputs(
        users=served_users(conn),
        subscribed=conn.execute(ACTIVE_SUBSCRIPTIONS).df(),
        creators=conn.execute(CREATOR_FEATURES).df(),
    )


def read_feed_inputs(conn: duckdb.DuckDBPyConnection) -> FeedInputs:
    return FeedInputs(
        users=served_users(conn),
        posts=conn.execute(FEED_POSTS).df(),
        seen=conn.execute(OPENED_POSTS).df(),
        as_of=pd.Timestamp(latest_event_at(conn)),
    )


def read_feed_creators(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, int | None]:
    """Each user's best-matching creators (user_id, creator_id, score) as the feed_creators asset
    wrote them, and the model version that scored them (None when no user is known)."""
    candidates = conn.execute(f"SELECT user_id, creator_id, score FROM {FEED_CREATORS}").df()
    versions = conn.execute(f"SELECT DISTINCT model_version FROM {FEED_CREATORS}").fetchall()
    if len(versions) > 1:
        raise ValueError(f"{FEED_CREATORS} mixes model versions {sorted(v for (v,) in versions)}")
    return candidates, (int(versions[0][0]) if versions else None)
