"""Point-in-time features of candidates: each (reader, creator, label time) reads the dbt
snapshots (models/features) as they stood at its label time, never later.

One definition serves training, the holdout and serving: a training example reads the snapshots as
of the moment its reader was ranked, a served reader as of the latest snapshot's availability.
Every snapshot row becomes readable at the end of the day it describes (available_at), and the
join takes, per entity, the latest row readable at the label time (DuckDB ASOF LEFT JOIN ... AND
available_at <= label_ts), once per reader and label time and once per creator and day. A figure
over the last days (a creator's new readers this week) is the difference of the rows readable at
the window's two ends, so it ages correctly on days the entity had no row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.ranking.candidates import RANK_COLUMNS
from recsys.ranking.frames import registered
from recsys.settings import DEFAULT_RECENT_ACTIVITY_DAYS

if TYPE_CHECKING:
    import duckdb

RETRIEVER_FEATURES = ["als_score", "content_score", *RANK_COLUMNS.values(), "n_sources"]
READER_FEATURES = [
    "reader_events",
    "reader_creators",
    "reader_active_days",
    "reader_events_recent",
    "reader_days_since_last_event",
    "reader_tenure_days",
    "reader_category_share",
]
CREATOR_FEATURES = [
    "creator_events",
    "creator_readers",
    "creator_posts",
    "creator_events_recent",
    "creator_new_readers_recent",
    "creator_posts_recent",
    "creator_days_since_last_post",
    "creator_age_days",
]
# What the ranker reads, in this order.
FEATURES = [*RETRIEVER_FEATURES, *READER_FEATURES, *CREATOR_FEATURES]

SNAPSHOT_FEATURES_SQL = """
WITH readers AS (
    SELECT DISTINCT user_id, label_ts, window_start FROM _examples
),
reader_features AS (
    -- Each reader's latest rows readable at the label time and at the window's start.
    SELECT
        r.user_id,
        r.label_ts,
        u.n_events AS reader_events,
        u.n_creators AS reader_creators,
        u.active_days AS reader_active_days,
        coalesce(u.n_events, 0) - coalesce(u0.n_events, 0) AS reader_events_recent,
        (epoch(r.label_ts) - epoch(u.last_event_at)) / 86400.0 AS reader_days_since_last_event,
        (epoch(r.label_ts) - epoch(CAST(u.first_active_day AS TIMESTAMP))) / 86400.0
            AS reader_tenure_days
    FROM readers AS r
    ASOF LEFT JOIN features.user_snapshots AS u
      ON r.user_id = u.user_id AND u.available_at <= r.label_ts
    ASOF LEFT JOIN features.user_snapshots AS u0
      ON r.user_id = u0.user_id AND u0.available_at <= r.window_start
),
creator_moments AS (
    -- Rows become readable at midnight: what is readable at a time is what was at its midnight,
    -- so creators are looked up once per day, not once per reader.
    SELECT DISTINCT creator_id,
           date_trunc('day', label_ts) AS label_day,
           date_trunc('day', window_start) AS window_day
    FROM _examples
),
creator_features AS (
    SELECT
        m.creator_id,
        m.label_day,
        m.window_day,
        c.n_events AS creator_events,
        c.n_readers AS creator_readers,
        c.n_posts AS creator_posts,
        coalesce(c.n_events, 0) - coalesce(c0.n_events, 0) AS creator_events_recent,
        coalesce(c.n_readers, 0) - coalesce(c0.n_readers, 0) AS creator_new_readers_recent,
        coalesce(c.n_posts, 0) - coalesce(c0.n_posts, 0) AS creator_posts_recent,
        c.last_post_at
    FROM creator_moments AS m
    ASOF LEFT JOIN features.creator_snapshots AS c
      ON m.creator_id = c.creator_id AND c.available_at <= m.label_day
    ASOF LEFT JOIN features.creator_snapshots AS c0
      ON m.creator_id = c0.creator_id AND c0.available_at <= m.window_day
),
pairs AS (
    -- Each pair's latest row readable at the label time: the reader's history with the creator.
    SELECT r.user_id, r.label_ts, p.creator_id,
           arg_max(p.weighted_events, p.as_of_day) AS weighted_events
    FROM readers AS r
    JOIN features.user_creator_snapshots AS p
      ON p.user_id = r.user_id AND p.available_at <= r.label_ts
    GROUP BY ALL
),
categories AS (
    SELECT pairs.user_id, pairs.label_ts, c.category, sum(pairs.weighted_events) AS weight
    FROM pairs
    JOIN staging.stg_creators AS c ON c.creator_id = pairs.creator_id
    GROUP BY ALL
),
shares AS (
    SELECT user_id, label_ts, category,
           weight / nullif(sum(weight) OVER (PARTITION BY user_id, label_ts), 0) AS share
    FROM categories
)
SELECT
    e.row_id,
    rf.reader_events,
    rf.reader_creators,
    rf.reader_active_days,
    rf.reader_events_recent,
    rf.reader_days_since_last_event,
    rf.reader_tenure_days,
    coalesce(s.share, 0.0) AS reader_category_share,
    cf.creator_events,
    cf.creator_readers,
    cf.creator_posts,
    cf.creator_events_recent,
    cf.creator_new_readers_recent,
    cf.creator_posts_recent,
    (epoch(e.label_ts) - epoch(cf.last_post_at)) / 86400.0 AS creator_days_since_last_post,
    (epoch(e.label_ts) - epoch(cr.created_at)) / 86400.0 AS creator_age_days
FROM _examples AS e
LEFT JOIN reader_features AS rf ON rf.user_id = e.user_id AND rf.label_ts = e.label_ts
LEFT JOIN creator_features AS cf
  ON cf.creator_id = e.creator_id
  AND cf.label_day = date_trunc('day', e.label_ts)
  AND cf.window_day = date_trunc('day', e.window_start)
LEFT JOIN staging.stg_creators AS cr ON cr.creator_id = e.creator_id
LEFT JOIN shares AS s
  ON s.user_id = e.user_id AND s.label_ts = e.label_ts AND s.category = cr.category
ORDER BY e.row_id
"""


@dataclass(frozen=True)
class FeatureParams:
    """recent_days: the window of the *_recent features, ending at the label time (the data's
    own dates, so a replayed or irregular history is measured the same way)."""

    recent_days: float = DEFAULT_RECENT_ACTIVITY_DAYS


def point_in_time_features(
    conn: duckdb.DuckDBPyConnection,
    candidates: pd.DataFrame,
    params: FeatureParams = FeatureParams(),
) -> pd.DataFrame:
    """`candidates` (user_id, creator_id, label_ts, any other columns) with every reader and
    creator feature (READER_FEATURES, CREATOR_FEATURES) as of its label time, as float32."""
    window = pd.to_timedelta(params.recent_days, unit="D")
    examples = pd.DataFrame(
        {
            "row_id": np.arange(len(candidates), dtype=np.int64),
            "user_id": candidates["user_id"].to_numpy(np.int64),
            "creator_id": candidates["creator_id"].to_numpy(np.int64),
            "label_ts": candidates["label_ts"].to_numpy(),
            "window_start": (candidates["label_ts"] - window).to_numpy(),
        }
    )
    with registered(conn, _examples=examples):
        snapshot = conn.execute(SNAPSHOT_FEATURES_SQL).df()
    joined = candidates.reset_index(drop=True).copy()
    for column in snapshot.columns.drop("row_id"):
        joined[column] = snapshot[column].to_numpy(np.float32)
    return joined
