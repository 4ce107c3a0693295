"""Invariants of a recommendation table, as plain measurements the asset checks judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.serving.inputs import FEED_CREATORS, OPENED_POSTS, SERVED_USERS, in_feed_window

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class RankProblems:
    """Subjects whose ranks are not 1..m or whose scores rise with rank, with a few examples."""

    subjects_with_rank_gaps: int
    subjects_with_unsorted_scores: int
    non_finite_scores: int
    examples: list[int]

    @property
    def ok(self) -> bool:
        return not (
            self.subjects_with_rank_gaps
            or self.subjects_with_unsorted_scores
            or self.non_finite_scores
        )


def rank_problems(table: pd.DataFrame, subject: str, examples: int = 5) -> RankProblems:
    """Ranks contiguous from 1 per subject, scores finite and non-increasing with rank."""
    ordered = table.sort_values([subject, "rank"], kind="mergesort")
    expected = ordered.groupby(subject, sort=False).cumcount() + 1
    gaps = ordered.loc[ordered["rank"].to_numpy() != expected.to_numpy(), subject].unique()
    rising = ordered.groupby(subject, sort=False)["score"].diff() > 1e-6
    unsorted = ordered.loc[rising.to_numpy(), subject].unique()
    non_finite = int((~np.isfinite(ordered["score"].to_numpy(np.float64))).sum())
    bad = pd.unique(np.concatenate([gaps, unsorted]))[:examples]
    return RankProblems(len(gaps), len(unsorted), non_finite, [int(x) for x in bad])


def leaked_rows(table: pd.DataFrame, forbidden: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of `table` whose key pair appears in `forbidden` (e.g. subscribed or read items)."""
    return table.merge(forbidden[keys].drop_duplicates(), on=keys, how="inner")


def coverage(table: pd.DataFrame, subject: str, population: np.ndarray) -> float:
    """Share of the population with at least one row in the table."""
    population = pd.unique(np.asarray(population))
    if len(population) == 0:
        return 1.0
    covered = np.isin(population, table[subject].to_numpy()).sum()
    return float(covered) / len(population)


@dataclass(frozen=True)
class FeedCoverage:
    """How many users with something fresh to see got a feed, and the verdict in words.

    `warn` is set when there was nothing to judge on: no post inside the freshness window at all
    (a quiet platform, or a window shorter than the gaps between posts), which is worth a
    warning, not a block.
    """

    share: float
    users_judged: int
    users_served: int
    fresh_posts: int
    window_days: float
    reason: str

    @property
    def warn(self) -> bool:
        return self.fresh_posts == 0


def posts_within(posts: pd.DataFrame, as_of: pd.Timestamp, window_days: float) -> pd.DataFrame:
    """Posts published in the `window_days` up to `as_of` (the feed's freshness rule)."""
    return posts[in_feed_window(posts["published_at"], as_of, window_days)]


# Known users (with best-matching creators) count when one of those creators has a fresh post
# they have not opened; users without any get the fallback feed, so any fresh post they have
# not opened counts.
FRESH_POST_USERS_SQL = f"""
WITH candidates AS (SELECT user_id, creator_id FROM {FEED_CREATORS}),
opened AS ({OPENED_POSTS}),
known AS (
    SELECT DISTINCT c.user_id
    FROM candidates AS c
    JOIN fresh AS f USING (creator_id)
    ANTI JOIN opened AS o ON o.user_id = c.user_id AND o.post_id = f.post_id
),
cold AS (
    SELECT user_id FROM ({SERVED_USERS}) ANTI JOIN (SELECT DISTINCT user_id FROM candidates)
    USING (user_id)
),
opened_fresh AS (
    SELECT user_id, count(DISTINCT post_id) AS n FROM opened SEMI JOIN fresh USING (post_id)
    GROUP BY user_id
)
SELECT user_id FROM known
UNION
SELECT user_id FROM cold LEFT JOIN opened_fresh USING (user_id)
WHERE coalesce(opened_fresh.n, 0) < (SELECT count(DISTINCT post_id) FROM fresh)
"""


def users_with_fresh_posts(
    conn: duckdb.DuckDBPyConnection, fresh_posts: pd.DataFrame
) -> np.ndarray:
    """Served users who have an unopened fresh post they could be shown, sorted.

    `fresh_posts` (post_id, creator_id) are the posts inside the freshness window. A user's
    best-matching creators are the feed_creators table's; what they opened, the events'. Runs in
    the warehouse: at a million readers the candidate pairs are far too many for pandas.
    """
    conn.register("fresh", fresh_posts[["post_id", "creator_id"]])
    try:
        users = conn.execute(FRESH_POST_USERS_SQL).df()["user_id"].to_numpy(np.int64)
    finally:
        conn.unregister("fresh")
    return np.sort(users)


def feed_coverage(
    table: pd.DataFrame,
    population: np.ndarray,
    users_served: int,
    fresh_posts: int,
    window_days: float,
) -> FeedCoverage:
    """Share of `population` (the users with fresh posts to see) who have a row in the feed."""
    population = pd.unique(np.asarray(population))
    if fresh_posts == 0:
        reason = (
            f"no post was published in the {window_days:g} days up to the latest event: nothing "
            "fresh to show anyone, so the feed is empty and nobody is judged"
        )
        return FeedCoverage(1.0, 0, users_served, 0, window_days, reason)
    share = coverage(table, "user_id", population)
    reason = (
        f"{share:.1%} of the {len(population):,} users with an unopened post from the last "
        f"{window_days:g} days by a creator they could be recommended have a feed "
        f"({users_served:,} users served, {fresh_posts:,} fresh posts)"
    )
    return FeedCoverage(share, len(population), users_served, fresh_posts, window_days, reason)
