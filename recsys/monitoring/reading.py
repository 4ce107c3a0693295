"""What readers read on a day, and what popularity would have served them when a copy started.

The served-quality judgement (recsys.monitoring.served_quality) needs, for a day D and the copy
that served it (from `served_on`):
- relevant creators: those a reader engaged with on D, other than those they subscribed to when
  the copy started serving (which no list may hold);
- relevant posts: those a reader opened for the first time on D (one opened before was never
  recommendable);
- popularity as of the copy: creators, or posts published within `fresh_post_days` before it, by
  distinct readers over the `popularity_days` before it; each reader's popular list skips what
  their served list had to skip (their subscriptions, the posts they had opened).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from recsys.models.popularity import recommend_popular

if TYPE_CHECKING:
    import duckdb

ItemKind = Literal["creators", "posts"]

CREATORS_ENGAGED = """
    SELECT DISTINCT e.user_id, e.creator_id AS item_id
    FROM staging.stg_events AS e
    WHERE e.event_date = ? AND NOT EXISTS (
        SELECT 1 FROM staging.stg_subscriptions AS s
        WHERE s.user_id = e.user_id AND s.creator_id = e.creator_id
          AND s.started_at < ? AND (s.ended_at IS NULL OR s.ended_at >= ?)
    )
"""
POSTS_FIRST_OPENED = """
    SELECT DISTINCT e.user_id, e.post_id AS item_id
    FROM staging.stg_events AS e
    WHERE e.event_date = ? AND NOT EXISTS (
        SELECT 1 FROM staging.stg_events AS before
        WHERE before.user_id = e.user_id AND before.post_id = e.post_id
          AND before.event_date < e.event_date
    )
"""
POPULAR_CREATORS = """
    SELECT creator_id AS item_id, count(DISTINCT user_id) AS n_users
    FROM staging.stg_events WHERE event_date >= ? AND event_date < ?
    GROUP BY 1
"""
POPULAR_FRESH_POSTS = """
    SELECT e.post_id AS item_id, count(DISTINCT e.user_id) AS n_users
    FROM staging.stg_events AS e JOIN staging.stg_posts AS p USING (post_id)
    WHERE e.event_date >= ? AND e.event_date < ? AND p.published_at >= ? AND p.published_at < ?
    GROUP BY 1
"""
SUBSCRIBED_AT = """
    SELECT user_id, creator_id AS item_id FROM staging.stg_subscriptions
    WHERE started_at < ? AND (ended_at IS NULL OR ended_at >= ?)
      AND user_id IN (SELECT user_id FROM _judged)
"""
OPENED_BEFORE = """
    SELECT DISTINCT user_id, post_id AS item_id FROM staging.stg_events
    WHERE event_date < ? AND user_id IN (SELECT user_id FROM _judged)
      AND post_id IN (SELECT item_id FROM _candidates)
"""


@dataclass(frozen=True)
class DayReading:
    """The relevant items of a day and the popularity counts as of its copy, per item kind."""

    served_on: dt.date
    relevant: dict[ItemKind, pd.DataFrame]
    counts: dict[ItemKind, pd.DataFrame]

    @classmethod
    def read(
        cls,
        conn: duckdb.DuckDBPyConnection,
        day: dt.date,
        served_on: dt.date,
        popularity_days: int,
        fresh_post_days: float,
    ) -> DayReading:
        serving_at = dt.datetime.combine(served_on, dt.time())
        since = served_on - dt.timedelta(days=popularity_days)
        fresh_since = serving_at - dt.timedelta(days=fresh_post_days)
        return cls(
            served_on=served_on,
            relevant={
                "creators": conn.execute(CREATORS_ENGAGED, [day, serving_at, serving_at]).df(),
                "posts": conn.execute(POSTS_FIRST_OPENED, [day]).df(),
            },
            counts={
                "creators": conn.execute(POPULAR_CREATORS, [since, served_on]).df(),
                "posts": conn.execute(
                    POPULAR_FRESH_POSTS, [since, served_on, fresh_since, serving_at]
                ).df(),
            },
        )

    def popular_lists(
        self, conn: duckdb.DuckDBPyConnection, kind: ItemKind, user_ids: np.ndarray, k: int
    ) -> pd.DataFrame:
        """Each reader's popular list of `kind` as the copy would have served it."""
        exclude = exclusions(conn, kind, user_ids, self.counts[kind], self.served_on)
        return popular_lists(self.counts[kind], user_ids, k, exclude)


def popular_lists(
    counts: pd.DataFrame, user_ids: np.ndarray, k: int, exclude: pd.DataFrame
) -> pd.DataFrame:
    """Per reader, the k items with most readers (ties by id) they were allowed: user_id,
    item_id, rank. `counts` has item_id and n_users; `exclude` user_id and item_id."""
    if len(user_ids) == 0 or counts.empty:
        return pd.DataFrame({"user_id": [], "item_id": [], "rank": []}, dtype=np.int64)
    popular = counts.sort_values(["n_users", "item_id"], ascending=[False, True], kind="stable")
    lists = recommend_popular(
        as_creators(popular), user_ids, k, as_creators(exclude[["user_id", "item_id"]])
    )
    return lists.rename(columns={"creator_id": "item_id"})[["user_id", "item_id", "rank"]]


def exclusions(
    conn: duckdb.DuckDBPyConnection,
    kind: ItemKind,
    judged: np.ndarray,
    counts: pd.DataFrame,
    served_on: dt.date,
) -> pd.DataFrame:
    """What the served lists could not hold for the judged readers: their subscriptions when the
    copy started serving, or the candidate posts they had opened before it."""
    serving_at = dt.datetime.combine(served_on, dt.time())
    conn.register("_judged", pd.DataFrame({"user_id": judged.astype(np.int64)}))
    conn.register("_candidates", counts[["item_id"]])
    try:
        if kind == "creators":
            return conn.execute(SUBSCRIBED_AT, [serving_at, serving_at]).df()
        return conn.execute(OPENED_BEFORE, [served_on]).df()
    finally:
        conn.unregister("_judged")
        conn.unregister("_candidates")


def as_creators(frame: pd.DataFrame) -> pd.DataFrame:
    # The evaluation and popularity helpers name the item column creator_id.
    return frame.rename(columns={"item_id": "creator_id"})
