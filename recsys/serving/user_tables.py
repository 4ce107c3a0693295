"""The precomputed recommendation tables: user -> creators, user -> posts, notification candidates.

Every table has one row per (subject, item) with `rank` 1..m contiguous and `score` non-increasing
with rank. Users the model has never seen get the fallback described in `fallback_creators`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.models.als import AlsFactors, recommend
from recsys.serving.inputs import CreatorInputs, in_feed_window
from recsys.serving.top_n import top_n_per_group
from recsys.settings import DEFAULT_FRESH_POST_DAYS

SOURCE_MODEL = "als"
SOURCE_FALLBACK = "popular_and_fresh"


@dataclass(frozen=True)
class TableSizes:
    """Rows per subject of each served table (the similar-item tables included)."""

    creators_per_user: int = 20
    posts_per_user: int = 20
    similar_per_item: int = 10


@dataclass(frozen=True)
class FeedParams:
    """How the post feed and notifications pick and score recent posts."""

    # Posts are drawn from the user's best-matching creators: this many, not a table size.
    candidate_creators: int = 50
    # Measured back from the data's latest event (CREATOR_DISCOVERY_FRESH_POST_DAYS).
    recent_days: float = DEFAULT_FRESH_POST_DAYS
    freshness_half_life_days: float = 2.0
    notification_window_days: float = 1.0
    notification_min_score: float = 0.2
    notifications_per_user_per_day: int = 3


def fallback_creators(creator_features: pd.DataFrame, n: int) -> np.ndarray:
    """Creator ids for users without history: the most-read creators of the recent days
    interleaved with the newest creators that already posted (so cold-start creators get seen).
    """
    popular = creator_features.sort_values(
        ["n_distinct_readers_recent", "n_distinct_readers", "creator_id"],
        ascending=[False, False, True],
    )["creator_id"].to_numpy(np.int64)
    with_posts = creator_features[creator_features["n_posts"] > 0]
    fresh = with_posts.sort_values(["created_at", "creator_id"], ascending=[False, True])[
        "creator_id"
    ].to_numpy(np.int64)
    m = min(n, len(popular))
    # Too few fresh creators: the gap is filled from the popular list, deduplicated below.
    fresh = np.concatenate([fresh[:m], popular])[:m]
    return pd.unique(np.ravel(np.column_stack([popular[:m], fresh])))[:n]


def user_creators(
    factors: AlsFactors,
    user_ids: np.ndarray,
    subscribed: pd.DataFrame,
    fallback: np.ndarray,
    n: int,
) -> pd.DataFrame:
    """Top-n creators per user, never one the user is subscribed to.

    Columns: user_id, creator_id, rank, score, source. Fallback scores are 1/rank of the fallback
    list, so they stay comparable only within a user.
    """
    users = pd.unique(np.asarray(user_ids, dtype=np.int64))
    known = factors.user_rows(users) >= 0
    modelled = recommend(
        factors, None, users[known], n, exclude=subscribed[["user_id", "creator_id"]]
    )
    modelled["source"] = SOURCE_MODEL
    cold = users[~known]
    candidates = pd.DataFrame(
        {
            "user_id": np.repeat(cold, len(fallback)),
            "creator_id": np.tile(fallback, len(cold)),
            "score": np.tile(1.0 / np.arange(1, len(fallback) + 1), len(cold)).astype(np.float32),
        }
    )
    allowed = _anti_join(candidates, subscribed, ["user_id", "creator_id"])
    cold_table = top_n_per_group(allowed, "user_id", "creator_id", n).assign(source=SOURCE_FALLBACK)
    table = pd.concat([modelled, cold_table[modelled.columns]], ignore_index=True)
    return table.astype({"rank": "int32", "score": "float32"})


def user_creators_table(factors: AlsFactors, inputs: CreatorInputs, n: int) -> pd.DataFrame:
    """`user_creators` for the served users, with `fallback_creators` for those without history.

    The fallback list is 2n long: a cold user's subscriptions are taken out of it, n must remain.
    """
    fallback = fallback_creators(inputs.creators, 2 * n)
    return user_creators(factors, inputs.users, inputs.subscribed, fallback, n)


def feed_creators(
    factors: AlsFactors, user_ids: np.ndarray, params: FeedParams = FeedParams()
) -> pd.DataFrame:
    """Each known user's best-matching creators, whose recent posts their feed and notifications
    draw on: user_id, creator_id, rank, score, the top `params.candidate_creators` by ALS score.

    Subscriptions stay in: a feed shows the posts of creators one follows. Users the model has
    not seen have no rows (they get the fallback feed). Scoring every reader against every creator
    is the costliest step of the tables, so the feed, the notifications and the feed's coverage
    check all read this one result.
    """
    return recommend(factors, None, np.asarray(user_ids, dtype=np.int64), params.candidate_creators)


def user_posts(
    candidates: pd.DataFrame,
    user_ids: np.ndarray,
    posts: pd.DataFrame,
    seen: pd.DataFrame,
    as_of: pd.Timestamp,
    n: int,
    params: FeedParams,
    window_days: float | None = None,
    min_score: float | None = None,
) -> pd.DataFrame:
    """Recent posts of each user's best-matching creators, never a post the user already opened.

    `candidates` are the users' best-matching creators (`feed_creators`); score = the creator's
    ALS score x 0.5 ** (post age / freshness half-life). Users without candidates (the model has
    not seen them) get the freshest posts of the most-read creators (source popular_and_fresh).
    Columns: user_id, post_id, creator_id, rank, score, source.
    """
    window = params.recent_days if window_days is None else window_days
    recent = _recent_posts(posts, as_of, window, params.freshness_half_life_days)
    users = pd.unique(np.asarray(user_ids, dtype=np.int64))
    known = np.isin(users, candidates["user_id"].to_numpy(np.int64))
    top = candidates[candidates["user_id"].isin(users[known])]
    modelled = best_recent_posts(top, recent, seen, n, min_score).assign(source=SOURCE_MODEL)
    fallback = _anti_join(_popular_recent(users[~known], recent), seen, ["user_id", "post_id"])
    fallback = top_n_per_group(fallback, "user_id", "post_id", n)
    columns = ["user_id", "post_id", "creator_id", "rank", "score", "source"]
    table = pd.concat([modelled[columns], fallback[columns]], ignore_index=True)
    return table.astype({"rank": "int32", "score": "float32"})


# The best posts of each user's top creators, joined, filtered and ranked in DuckDB a slice of
# users at a time: at the large scale (1M readers x 50 creators x their recent posts) the
# candidates are ~150M rows, which pandas merged and sorted in 9 minutes and several GB.
USERS_PER_SLICE = 100_000
BEST_RECENT_POSTS_SQL = """
SELECT t.user_id, r.post_id, r.creator_id, t.score * r.freshness AS score,
       row_number() OVER (
           PARTITION BY t.user_id ORDER BY t.score * r.freshness DESC, r.post_id
       )::INTEGER AS rank
FROM top_slice AS t
JOIN recent AS r USING (creator_id)
ANTI JOIN seen AS s ON s.user_id = t.user_id AND s.post_id = r.post_id
WHERE $min_score IS NULL OR t.score * r.freshness >= $min_score
QUALIFY rank <= $n
ORDER BY t.user_id, rank
"""


def best_recent_posts(
    top: pd.DataFrame,
    recent: pd.DataFrame,
    seen: pd.DataFrame,
    n: int,
    min_score: float | None = None,
) -> pd.DataFrame:
    """user_id, post_id, creator_id, score, rank: for each user of `top` (user_id, creator_id,
    score), the n best recent posts of those creators by creator score x post freshness (ties:
    smaller post id first), never one in `seen`, none scored below `min_score`."""
    import duckdb

    columns = ["user_id", "post_id", "creator_id", "score", "rank"]
    users = pd.unique(top["user_id"].to_numpy())
    slices = []
    with duckdb.connect() as con:
        # A float32 product, as the scores and freshness are: the same values pandas computed.
        con.register("recent", recent[["post_id", "creator_id", "freshness"]])
        con.register("seen", seen[["user_id", "post_id"]])
        for start in range(0, len(users), USERS_PER_SLICE):
            chunk = top[top["user_id"].isin(users[start : start + USERS_PER_SLICE])]
            con.register("top_slice", chunk[["user_id", "creator_id", "score"]])
            values = {"n": n, "min_score": min_score}
            slices.append(con.execute(BEST_RECENT_POSTS_SQL, values).df())
            con.unregister("top_slice")
    if not slices:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).astype(
            {"score": "float32", "rank": "int32"}
        )
    return pd.concat(slices, ignore_index=True)[columns]


def notification_candidates(
    candidates: pd.DataFrame,
    user_ids: np.ndarray,
    posts: pd.DataFrame,
    seen: pd.DataFrame,
    as_of: pd.Timestamp,
    params: FeedParams,
) -> pd.DataFrame:
    """Posts of the last day a reader would likely open: score above a threshold, capped per user.

    Drawn from the same best-matching creators as the feed (`candidates`). Only users the model
    knows are notified: a fallback guess is not worth an interruption.
    """
    known = np.asarray(user_ids, dtype=np.int64)
    known = known[np.isin(known, candidates["user_id"].to_numpy(np.int64))]
    table = user_posts(
        candidates,
        known,
        posts,
        seen,
        as_of,
        params.notifications_per_user_per_day,
        params,
        window_days=params.notification_window_days,
        min_score=params.notification_min_score,
    )
    return table[table["source"] == SOURCE_MODEL].reset_index(drop=True)


def _recent_posts(
    posts: pd.DataFrame, as_of: pd.Timestamp, window_days: float, half_life_days: float
) -> pd.DataFrame:
    age_days = (as_of - posts["published_at"]).dt.total_seconds() / 86_400
    recent = posts[in_feed_window(posts["published_at"], as_of, window_days)].copy()
    recent["freshness"] = np.power(0.5, age_days[recent.index] / half_life_days).astype(np.float32)
    return recent


def _popular_recent(users: np.ndarray, recent: pd.DataFrame, pool: int = 100) -> pd.DataFrame:
    """The fallback feed: recent posts ranked by readers so far x freshness, the same for all."""
    readers = recent.get("n_distinct_readers", pd.Series(0, index=recent.index)).fillna(0)
    scored = recent.assign(score=(np.log1p(readers) + 1.0) * recent["freshness"])
    best = scored.sort_values(["score", "post_id"], ascending=[False, True]).head(pool)
    return pd.DataFrame(
        {
            "user_id": np.repeat(users, len(best)),
            "post_id": np.tile(best["post_id"].to_numpy(np.int64), len(users)),
            "creator_id": np.tile(best["creator_id"].to_numpy(np.int64), len(users)),
            "score": np.tile(best["score"].to_numpy(np.float32), len(users)),
            "source": SOURCE_FALLBACK,
        }
    )


def _anti_join(frame: pd.DataFrame, forbidden: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    marked = frame.merge(forbidden[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    return marked[marked["_merge"] == "left_only"].drop(columns="_merge")
