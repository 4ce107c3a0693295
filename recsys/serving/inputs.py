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
