"""Served quality: the lists readers saw on a day, judged by what they read that day.

For a day D, each reader table is taken as it served on D (recsys.monitoring.served: the newest
copy serving from D or earlier) and judged against what readers read on D, beside the popularity
list that would have served at the same moment, with as many slots per reader as the served list
gave them (recsys.monitoring.reading defines both). A reader is judged on a table when the copy
served them and they have a relevant item on D: hit rate@k is the share of them with at least one
relevant item in their top k, nDCG@k has binary gains and an ideal DCG over min(k, |relevant|)
hits (recsys.models.evaluation); the served list and popularity are judged on the same readers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.models.evaluation import K, per_user_ndcg
from recsys.monitoring.reading import DayReading, ItemKind, as_creators
from recsys.monitoring.served import SERVED_HISTORY, served_copy_for
from recsys.settings import DEFAULT_FRESH_POST_DAYS
from recsys.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

SERVED_QUALITY = "monitoring.served_quality"
CREATOR_TABLES = ("user_creators",)
POST_TABLES = ("user_posts", "notification_candidates")
COLUMNS = [
    "day",
    "table_name",
    "served_on",
    "model_version",
    "k",
    "readers_judged",
    "hit_rate",
    "ndcg",
    "popularity_hit_rate",
    "popularity_ndcg",
]

CREATE_QUALITY = f"""
    CREATE TABLE IF NOT EXISTS {SERVED_QUALITY} (
        day DATE NOT NULL,
        table_name VARCHAR NOT NULL,
        served_on DATE NOT NULL,
        model_version INTEGER,
        k INTEGER NOT NULL,
        readers_judged BIGINT NOT NULL,
        hit_rate DOUBLE,
        ndcg DOUBLE,
        popularity_hit_rate DOUBLE,
        popularity_ndcg DOUBLE
    )
"""
SERVED_LISTS = f"""
    SELECT table_name, user_id, item_id, rank, model_version
    FROM {SERVED_HISTORY} WHERE served_on = ? AND rank <= ?
"""


@dataclass(frozen=True)
class ScoringParams:
    """The cutoff k, and the window popularity counts readers over (see the module docstring)."""

    k: int = K
    popularity_days: int = 7
    fresh_post_days: float = DEFAULT_FRESH_POST_DAYS


@dataclass(frozen=True)
class ListScores:
    """One table's lists on one day against popularity's, over the same judged readers."""

    readers_judged: int
    hit_rate: float
    ndcg: float
    popularity_hit_rate: float
    popularity_ndcg: float


def score_lists(
    served: pd.DataFrame, popular: pd.DataFrame, relevant: pd.DataFrame, k: int
) -> ListScores:
    """Hit rate and nDCG at k of `served` and `popular` (user_id, item_id, rank) against
    `relevant` (user_id, item_id), over the readers with a served list and a relevant item.

    Popularity gets as many slots per reader as the served list filled (at most k).
    """
    served = served[served["rank"] <= k]
    slots = served.groupby("user_id").size().rename("slots")
    relevant = relevant[relevant["user_id"].isin(slots.index)]
    popular = popular.merge(slots.reset_index(), on="user_id")
    popular = popular[popular["rank"] <= popular["slots"]]
    mine = per_user_ndcg(as_creators(served), as_creators(relevant), k)
    baseline = per_user_ndcg(as_creators(popular), as_creators(relevant), k)
    return ListScores(
        readers_judged=len(mine),
        hit_rate=_mean(mine > 0),
        ndcg=_mean(mine),
        popularity_hit_rate=_mean(baseline > 0),
        popularity_ndcg=_mean(baseline),
    )


def score_day(
    conn: duckdb.DuckDBPyConnection, day: dt.date, params: ScoringParams = ScoringParams()
) -> pd.DataFrame:
    """One row per reader table served on `day` (COLUMNS); empty when nothing was served yet."""
    served_on = served_copy_for(conn, day)
    if served_on is None:
        return pd.DataFrame(columns=COLUMNS)
    lists = conn.execute(SERVED_LISTS, [served_on, params.k]).df()
    reading = DayReading.read(conn, day, served_on, params.popularity_days, params.fresh_post_days)
    rows = []
    for table, served in lists.groupby("table_name", sort=True):
        kind: ItemKind = "creators" if table in CREATOR_TABLES else "posts"
        relevant = reading.relevant[kind]
        judged = np.intersect1d(served["user_id"].unique(), relevant["user_id"].unique())
        popular = reading.popular_lists(conn, kind, judged, params.k)
        judged_lists = served[served["user_id"].isin(judged)]
        scores = score_lists(judged_lists, popular, relevant, params.k)
        rows.append(
            {
                "day": day,
                "table_name": str(table),
                "served_on": served_on,
                "model_version": int(served["model_version"].max()),
                "k": params.k,
                **scores.__dict__,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def record_day(conn: duckdb.DuckDBPyConnection, day: dt.date, scores: pd.DataFrame) -> None:
    """Replace `day`'s rows of the served-quality table with `scores` (all of that day)."""
    other_days = sorted({str(other) for other in scores["day"] if other != day})
    if other_days:
        raise ValueError(f"scores of {', '.join(other_days)} cannot be recorded under {day}")
    conn.register("_scores", scores[COLUMNS])
    try:
        with transaction(conn):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SERVED_QUALITY.split('.')[0]}")
            conn.execute(CREATE_QUALITY)
            conn.execute(f"DELETE FROM {SERVED_QUALITY} WHERE day = ?", [day])
            conn.execute(f"INSERT INTO {SERVED_QUALITY} SELECT * FROM _scores")
    finally:
        conn.unregister("_scores")


def quality_history(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every scored day and table, oldest first (COLUMNS)."""
    [(exists,)] = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        SERVED_QUALITY.split("."),
    ).fetchall()
    if not exists:
        return pd.DataFrame(columns=COLUMNS)
    return conn.execute(f"SELECT * FROM {SERVED_QUALITY} ORDER BY day, table_name").df()


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")
