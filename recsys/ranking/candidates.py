"""Candidates per reader from three retrievers, with the source of each kept.

- ALS: the creators the collaborative model scores highest for the reader;
- content: the creators whose posts match what the reader read (the mean of the reader's read
  posts' embeddings, weighted by event type, against each creator's embedding);
- popular-and-fresh: the creators most read in the last days before the label time interleaved
  with the newest creators that posted (recsys.serving.user_tables.fallback_creators, the list
  readers without history get), as of the label time's snapshots.

A candidate proposed by several retrievers is one row, its rank in each list kept (NaN where a
list did not propose it). Every candidate also gets both model scores, whoever proposed it, so the
ranker compares like with like. The creators' embeddings are the content champion's, from all their
posts: a training example may see the text of a post published after its label time, never anyone's
engagement with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.models.als import AlsFactors, recommend
from recsys.models.content import Embeddings
from recsys.models.interactions import Exclusions
from recsys.models.popularity import recommend_popular
from recsys.ranking.frames import registered
from recsys.serving.user_tables import fallback_creators
from recsys.settings import DEFAULT_RECENT_ACTIVITY_DAYS

if TYPE_CHECKING:
    import duckdb

SOURCES = ("als", "content", "popular_and_fresh")
RANK_COLUMNS = {source: f"{source}_rank" for source in SOURCES}
# Candidate rows scored per block when a score is looked up pair by pair.
PAIR_BLOCK = 1_000_000

# Each creator that existed before the boundary (the label time's day: the snapshots readable at a
# label time are those of the days before it), with its audience as of the boundary and its
# distinct readers over the window's days before it (_window_days: one row per boundary and day),
# the columns fallback_creators ranks.
POPULAR_AS_OF_SQL = """
WITH recent AS (
    SELECT w.boundary, p.creator_id, count(DISTINCT p.user_id) AS n_distinct_readers_recent
    FROM _window_days AS w
    JOIN features.user_creator_snapshots AS p ON p.as_of_day = CAST(w.as_of_day AS DATE)
    GROUP BY ALL
),
existing AS (
    SELECT b.boundary, c.creator_id, c.created_at
    FROM (SELECT DISTINCT boundary FROM _window_days) AS b
    JOIN staging.stg_creators AS c ON c.created_at < b.boundary
)
SELECT e.boundary, e.creator_id, e.created_at,
       coalesce(s.n_readers, 0) AS n_distinct_readers,
       coalesce(s.n_posts, 0) AS n_posts,
       coalesce(r.n_distinct_readers_recent, 0) AS n_distinct_readers_recent
FROM existing AS e
ASOF LEFT JOIN features.creator_snapshots AS s
  ON e.creator_id = s.creator_id AND s.available_at <= e.boundary
LEFT JOIN recent AS r ON e.boundary = r.boundary AND e.creator_id = r.creator_id
ORDER BY e.boundary, e.creator_id
"""


@dataclass(frozen=True)
class CandidateParams:
    """How many candidates each retriever proposes per reader, and the popular list's window.

    The ranker can only reorder what the retrievers found. On the demo's holdout these hold 65%
    of the creators readers went on to meet (ALS's top 40 alone 61%, content's top 20 13%,
    popular-and-fresh's 10 6%; `candidate_recall` in the ranker's metrics); 50, 30 and 20 held
    71% for 38% more rows, and the ranker's nDCG@10 moved by less than its interval
    (docs/benchmarks.md, Ranking).
    """

    als: int = 40
    content: int = 20
    popular_and_fresh: int = 10
    recent_days: float = DEFAULT_RECENT_ACTIVITY_DAYS


@dataclass(frozen=True)
class Retrievers:
    """What the retrievers rank with: ALS factors and the content embeddings of readers (their
    read posts' mean) and creators, over the same ids the candidates use."""

    als: AlsFactors
    readers: Embeddings
    creators: Embeddings

    @property
    def content(self) -> AlsFactors:
        """The content model in ALS's shape: reader profiles against creator embeddings."""
        return AlsFactors(
            self.readers.vectors, self.creators.vectors, self.readers.ids, self.creators.ids
        )


def reader_profiles(reads: pd.DataFrame, posts: Embeddings) -> Embeddings:
    """Unit-length mean embedding of the posts each reader engaged with (user_id, post_id,
    weight), weighted; readers whose posts have no embedding are left out."""
    post_rows = pd.Index(posts.ids).get_indexer(reads["post_id"].to_numpy(np.int64))
    known = reads[post_rows >= 0]
    user_ids, user_rows = np.unique(known["user_id"].to_numpy(np.int64), return_inverse=True)
    weights = sp.csr_matrix(
        (known["weight"].to_numpy(np.float32), (user_rows, post_rows[post_rows >= 0])),
        shape=(len(user_ids), len(posts.ids)),
    )
    sums = np.asarray(weights @ posts.vectors, dtype=np.float32)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    vectors = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)
    return Embeddings(user_ids, vectors)


def model_candidates(
    model: AlsFactors, user_ids: np.ndarray, n: int, source: str, exclude: Exclusions | None
) -> pd.DataFrame:
    """user_id, creator_id, <source>_rank: the model's top n per reader, exclusions left out."""
    top = recommend(model, None, user_ids, n, exclude=exclude)
    return top[["user_id", "creator_id"]].assign(**{RANK_COLUMNS[source]: top["rank"]})


def popular_lists(
    conn: duckdb.DuckDBPyConnection, boundaries: pd.Series, n: int, recent_days: float
) -> dict[pd.Timestamp, np.ndarray]:
    """The popular-and-fresh list (creator ids, best first, up to n) as of each boundary (a
    midnight: a snapshot day is readable from the midnight that ends it)."""
    days = window_days(pd.to_datetime(pd.unique(boundaries)), recent_days)
    with registered(conn, _window_days=days):
        creators = conn.execute(POPULAR_AS_OF_SQL).df()
    return {
        pd.Timestamp(boundary): fallback_creators(group, n)
        for boundary, group in creators.groupby("boundary", sort=True)
    }


def window_days(boundaries: pd.DatetimeIndex, recent_days: float) -> pd.DataFrame:
    """boundary, as_of_day: the snapshot days readable at each boundary within the last
    recent_days (a day is readable from the midnight after it, so the window's days are the
    ceil(recent_days) days before the boundary)."""
    offsets = np.arange(1, int(np.ceil(recent_days)) + 1)
    return pd.DataFrame(
        {
            "boundary": np.repeat(boundaries.to_numpy(), len(offsets)),
            "as_of_day": (
                np.repeat(boundaries.to_numpy(), len(offsets))
                - np.tile(offsets, len(boundaries)) * np.timedelta64(1, "D")
            ),
        }
    )


def popular_candidates(
    lists: dict[pd.Timestamp, np.ndarray],
    label_times: pd.DataFrame,
    n: int,
    exclude: Exclusions | None,
) -> pd.DataFrame:
    """user_id, creator_id, popular_and_fresh_rank: the first n creators of each reader's list
    (the one of their label time's day) they may get."""
    day_of = label_times.assign(day=label_times["label_ts"].dt.floor("D"))[["user_id", "day"]]
    excluded = _pairs(exclude).merge(day_of, on="user_id")
    excluded_by_day = dict(iter(excluded.groupby("day", sort=False)))
    parts = []
    for day, users in day_of.groupby("day", sort=True)["user_id"]:
        listed = lists.get(pd.Timestamp(day), np.empty(0, np.int64))
        ordered = pd.DataFrame(
            {"creator_id": listed, "n_users": np.arange(len(listed), 0, -1, dtype=np.int64)}
        )
        that_day = excluded_by_day.get(day, excluded.iloc[:0])
        top = recommend_popular(ordered, users.to_numpy(np.int64), n, that_day)
        parts.append(top[["user_id", "creator_id", "rank"]])
    if not parts:
        return pd.DataFrame(columns=["user_id", "creator_id", RANK_COLUMNS["popular_and_fresh"]])
    found = pd.concat(parts, ignore_index=True)
    return found.rename(columns={"rank": RANK_COLUMNS["popular_and_fresh"]})


def merge_candidates(lists: list[pd.DataFrame], retrievers: Retrievers) -> pd.DataFrame:
    """One row per (user_id, creator_id) proposed by any list, sorted by both, with each list's
    rank (NaN where it did not propose it), the lists that proposed it (`sources`, e.g.
    "als+content") and how many, and both model scores."""
    users = np.unique(np.concatenate([part["user_id"].to_numpy(np.int64) for part in lists]))
    creators = np.unique(np.concatenate([part["creator_id"].to_numpy(np.int64) for part in lists]))
    keys = [_pair_keys(part, users, creators) for part in lists]
    merged_keys = np.unique(np.concatenate(keys))
    merged = pd.DataFrame(
        {
            "user_id": users[merged_keys // len(creators)],
            "creator_id": creators[merged_keys % len(creators)],
        }
    )
    found = np.zeros(len(merged), dtype=np.int64)
    for part, part_keys in zip(lists, keys, strict=True):
        [column] = [c for c in part.columns if c in RANK_COLUMNS.values()]
        rows = np.searchsorted(merged_keys, part_keys)
        ranks = np.full(len(merged), np.nan)
        ranks[rows] = part[column].to_numpy(np.float64)
        merged[column] = ranks
        found[rows] |= 1 << SOURCES.index(column.removesuffix("_rank"))
    for column in RANK_COLUMNS.values():
        if column not in merged:
            merged[column] = np.nan
    labels = np.array(
        ["+".join(s for i, s in enumerate(SOURCES) if code >> i & 1) for code in range(8)]
    )
    merged["sources"] = labels[found]
    merged["n_sources"] = np.array([bin(code).count("1") for code in range(8)], np.int32)[found]
    merged["als_score"] = pair_scores(retrievers.als, merged["user_id"], merged["creator_id"])
    merged["content_score"] = pair_scores(
        retrievers.content, merged["user_id"], merged["creator_id"]
    )
    return merged


def _pair_keys(part: pd.DataFrame, users: np.ndarray, creators: np.ndarray) -> np.ndarray:
    """One int64 per (user, creator) row, ordered as (user_id, creator_id) are."""
    user_rows = np.searchsorted(users, part["user_id"].to_numpy(np.int64))
    creator_rows = np.searchsorted(creators, part["creator_id"].to_numpy(np.int64))
    return user_rows * len(creators) + creator_rows


def _pairs(exclude: Exclusions | None) -> pd.DataFrame:
    """Exclusions as (user_id, creator_id) pairs."""
    if exclude is None:
        return pd.DataFrame({"user_id": [], "creator_id": []}, dtype=np.int64)
    if isinstance(exclude, pd.DataFrame):
        return exclude[["user_id", "creator_id"]]
    return pd.DataFrame(
        [(user, creator) for user, items in exclude.items() for creator in items],
        columns=["user_id", "creator_id"],
        dtype=np.int64,
    )


def pair_scores(model: AlsFactors, user_ids: np.ndarray, creator_ids: np.ndarray) -> np.ndarray:
    """The model's score of each (user, creator) pair, NaN where it knows either not."""
    rows = model.user_rows(user_ids)
    cols = pd.Index(model.item_ids).get_indexer(np.asarray(creator_ids, dtype=np.int64))
    scores = np.full(len(rows), np.nan, dtype=np.float32)
    known = np.flatnonzero((rows >= 0) & (cols >= 0))
    for block in _blocks(known):
        left = model.user_factors[rows[block]]
        right = model.item_factors[cols[block]]
        scores[block] = np.einsum("ij,ij->i", left, right)
    return scores


def _blocks(indices: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(indices), PAIR_BLOCK):
        yield indices[start : start + PAIR_BLOCK]
