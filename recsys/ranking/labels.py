"""When each reader is ranked, and what they did next: label times and relevance grades.

The ranker meets two windows, both cut from each reader's own history:

- the holdout window: a judged reader is ranked at their cutoff (marts.user_split_cutoffs) and
  judged on the creators they met from then on, the ALS gate's protocol and figures;
- the training window, one step earlier: the reader is ranked at the moment they met the last new
  creator before their cutoff, and graded on what they did, until the cutoff, with the creators
  they met from that moment on. Nothing in it reaches into the holdout.

A label time is a timestamp: everything the reader is ranked on (the retrievers' fits, the
features) comes strictly before it; everything they are graded on comes at or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.models.tuning import DBT_PROJECT_DIR, Weighting, strength_in_warehouse
from recsys.ranking.frames import registered

if TYPE_CHECKING:
    import duckdb

# Columns of a label-time frame: who is ranked, when, and where their graded window ends (NaT: at
# the latest event).
LABEL_COLUMNS = ["user_id", "label_ts", "window_end"]

HOLDOUT_LABELS_SQL = """
SELECT user_id, cutoff_at AS label_ts, CAST(NULL AS TIMESTAMP) AS window_end
FROM marts.user_split_cutoffs
WHERE cutoff_at IS NOT NULL
ORDER BY user_id
"""
# The last creator a reader met before their cutoff, for readers who met another one before it.
TRAINING_LABELS_SQL = """
SELECT user_id, max(first_event_at) AS label_ts, any_value(cutoff_at) AS window_end
FROM marts.interactions_train
WHERE cutoff_at IS NOT NULL
GROUP BY user_id
HAVING min(first_event_at) < max(first_event_at)
ORDER BY user_id
"""
# Each reader's engagement in their window with the creators they had not met before its start.
ENGAGEMENT_SQL = """
SELECT e.user_id, e.creator_id, sum(coalesce(w.weight, 0.0)) AS engagement
FROM staging.stg_events AS e
JOIN _label_times AS l ON e.user_id = l.user_id
LEFT JOIN _event_weights AS w ON e.event_type = w.event_type
WHERE e.event_at >= l.label_ts
  AND (l.window_end IS NULL OR e.event_at < l.window_end)
  AND NOT EXISTS (
      SELECT 1 FROM staging.stg_events AS before
      WHERE before.user_id = e.user_id AND before.creator_id = e.creator_id
        AND before.event_at < l.label_ts
  )
GROUP BY e.user_id, e.creator_id
ORDER BY e.user_id, e.creator_id
"""
# What each reader had done before their label time, by (creator, event type, day): the aggregate
# recsys.models.tuning.pair_strength weighs and decays as of the label time. A reader without a
# label time keeps all their events, decayed as of the latest one.
EVENTS_BEFORE_SQL = """
WITH latest AS (SELECT max(event_at) AS at FROM staging.stg_events)
SELECT e.user_id, e.creator_id, e.event_type,
       date_trunc('day', e.event_at) AS event_day,
       count(*) AS n_events,
       avg(epoch(e.event_at)) AS mean_epoch,
       epoch(any_value(coalesce(h.label_ts, latest.at))) AS as_of_epoch
FROM staging.stg_events AS e
CROSS JOIN latest
LEFT JOIN _label_times AS h ON e.user_id = h.user_id
WHERE h.label_ts IS NULL OR e.event_at < h.label_ts
GROUP BY ALL
"""
# The posts each reader engaged with before their label time, weighted by event type.
READS_BEFORE_SQL = """
SELECT e.user_id, e.post_id, sum(coalesce(w.weight, 0.0)) AS weight
FROM staging.stg_events AS e
JOIN _label_times AS l ON e.user_id = l.user_id
LEFT JOIN _event_weights AS w ON e.event_type = w.event_type
WHERE e.event_at < l.label_ts
GROUP BY e.user_id, e.post_id
ORDER BY e.user_id, e.post_id
"""


@dataclass(frozen=True)
class GradeScale:
    """Integer relevance from engagement: grade = min(max_grade, floor(log2(1 + engagement))),
    engagement being the window's events with the creator weighted by type (dbt var
    event_weights). One view is 1, a read 2, a read and a like 3; LightGBM's lambdarank takes
    grades below 31 and weighs grade g as 2^g - 1."""

    max_grade: int = 4

    def grades(self, engagement: pd.Series) -> np.ndarray:
        values = np.floor(np.log2(1.0 + engagement.to_numpy(np.float64)))
        return np.clip(values, 0, self.max_grade).astype(np.int32)


def holdout_label_times(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each judged reader ranked at their own cutoff, graded up to the latest event."""
    return conn.execute(HOLDOUT_LABELS_SQL).df()


def training_label_times(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each reader who met at least two creators before their cutoff, ranked when they met the
    last of them and graded up to the cutoff."""
    return conn.execute(TRAINING_LABELS_SQL).df()


def serving_label_times(user_ids: np.ndarray, label_ts: pd.Timestamp) -> pd.DataFrame:
    """Readers ranked now (`label_ts`: when the latest snapshot became readable), no window."""
    users = np.asarray(user_ids, dtype=np.int64)
    return pd.DataFrame(
        {"user_id": users, "label_ts": pd.Timestamp(label_ts), "window_end": pd.NaT}
    )[LABEL_COLUMNS]


def relevance_grades(
    conn: duckdb.DuckDBPyConnection,
    label_times: pd.DataFrame,
    scale: GradeScale = GradeScale(),
    weighting: Weighting | None = None,
) -> pd.DataFrame:
    """user_id, creator_id, engagement, grade (>= 1) for the creators each reader first met in
    their window, from their events in it."""
    weights = _event_weights(weighting)
    with registered(conn, _label_times=label_times[LABEL_COLUMNS], _event_weights=weights):
        engaged = conn.execute(ENGAGEMENT_SQL).df()
    return engaged.assign(grade=scale.grades(engaged["engagement"]))


def strength_before(
    conn: duckdb.DuckDBPyConnection, label_times: pd.DataFrame, weighting: Weighting
) -> pd.DataFrame:
    """user_id, creator_id, strength of every reader's events before their label time (all of
    them without one), decayed as of that time: recsys.models.tuning.pair_strength of the
    (user, creator, event type, day) aggregate, summed in the warehouse (at a million readers the
    aggregate is ~40M rows, which pandas held in over 10 GB), sorted by user and creator."""
    with registered(conn, _label_times=label_times[LABEL_COLUMNS]):
        strength = strength_in_warehouse(conn, EVENTS_BEFORE_SQL, weighting)
    return strength.sort_values(["user_id", "creator_id"], ignore_index=True)


def reads_before(
    conn: duckdb.DuckDBPyConnection, label_times: pd.DataFrame, weighting: Weighting | None = None
) -> pd.DataFrame:
    """user_id, post_id, weight: the posts each ranked reader engaged with before their label
    time, weighted by event type."""
    weights = _event_weights(weighting)
    with registered(conn, _label_times=label_times[LABEL_COLUMNS], _event_weights=weights):
        return conn.execute(READS_BEFORE_SQL).df()


def dbt_weighting() -> Weighting:
    """dbt's event weights and half-life (dbt_project.yml vars): the one definition."""
    return Weighting.from_dbt_project(DBT_PROJECT_DIR)


def _event_weights(weighting: Weighting | None) -> pd.DataFrame:
    weights = (weighting or dbt_weighting()).event_weights
    return pd.DataFrame(
        {"event_type": list(weights), "weight": [float(w) for w in weights.values()]}
    )
