"""The user x creator confidence matrix, exclusion masks aligned to it, and top-n lists."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

# Items never to recommend, per user: a DataFrame of (user_id, creator_id) pairs or a mapping
# user_id -> creator ids. Recommenders turn either into a csr mask with `exclusion_mask`.
Exclusions = pd.DataFrame | Mapping[int, Collection[int]]


@dataclass(frozen=True)
class InteractionMatrix:
    """Users x items csr of float32 confidences, with the ids behind its rows and columns."""

    confidence: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.confidence.shape

    def user_rows(self, user_ids: np.ndarray) -> np.ndarray:
        """Row of each user id, -1 for ids outside the matrix."""
        return pd.Index(self.user_ids).get_indexer(np.asarray(user_ids, dtype=np.int64))

    def item_columns(self, item_ids: np.ndarray) -> np.ndarray:
        """Column of each item id, -1 for ids outside the matrix."""
        return pd.Index(self.item_ids).get_indexer(np.asarray(item_ids, dtype=np.int64))


def build_matrix(
    interactions: pd.DataFrame,
    alpha: float,
    user_ids: np.ndarray | None = None,
    item_ids: np.ndarray | None = None,
) -> InteractionMatrix:
    """Confidence 1 + alpha * log1p(strength) per (user_id, creator_id) row of `interactions`.

    Strengths are heavy-tailed (demo train: median 1.0, p99 19, max 515, from bursts of one user
    on one creator): linear confidence lets a few pairs dominate each user's least-squares fit,
    the log keeps a heavy reader's signal above a light one's without drowning the rest.
    `user_ids` / `item_ids` fix the id universe (sorted ascending; pairs outside it are dropped)
    so that, e.g., a train matrix and a full-data matrix share item columns.
    """
    users = _universe(interactions["user_id"], user_ids)
    items = _universe(interactions["creator_id"], item_ids)
    rows = pd.Index(users).get_indexer(interactions["user_id"].to_numpy(np.int64))
    cols = pd.Index(items).get_indexer(interactions["creator_id"].to_numpy(np.int64))
    keep = (rows >= 0) & (cols >= 0)
    strength = interactions["strength"].to_numpy(np.float64)[keep]
    if (strength < 0).any():
        raise ValueError("interaction strength must be non-negative")
    # coo -> csr sums the strengths of repeated pairs before the log, as if aggregated upstream.
    confidence = sp.csr_matrix(
        (strength, (rows[keep], cols[keep])), shape=(len(users), len(items)), dtype=np.float64
    )
    confidence.data = 1.0 + alpha * np.log1p(confidence.data)
    confidence = confidence.astype(np.float32)
    confidence.sort_indices()
    return InteractionMatrix(confidence, users, items)


def exclusion_mask(
    exclude: Exclusions | None, user_ids: np.ndarray, item_ids: np.ndarray
) -> sp.csr_matrix:
    """Boolean csr, len(user_ids) x len(item_ids): True where that user must not get that item.

    `user_ids` must be unique (recommenders deduplicate requests first).
    """
    user_ids = np.asarray(user_ids, dtype=np.int64)
    if exclude is None:
        return sp.csr_matrix((len(user_ids), len(item_ids)), dtype=bool)
    if isinstance(exclude, pd.DataFrame):
        pair_users = exclude["user_id"].to_numpy(np.int64)
        pair_items = exclude["creator_id"].to_numpy(np.int64)
    else:
        wanted = set(user_ids.tolist())
        lists = [(u, list(items)) for u, items in exclude.items() if u in wanted]
        pair_users = np.repeat(
            np.array([u for u, _ in lists], dtype=np.int64), [len(i) for _, i in lists]
        )
        pair_items = np.array([c for _, items in lists for c in items], dtype=np.int64)
    rows = pd.Index(user_ids).get_indexer(pair_users)
    cols = pd.Index(np.asarray(item_ids, dtype=np.int64)).get_indexer(pair_items)
    keep = (rows >= 0) & (cols >= 0)
    return sp.csr_matrix(
        (np.ones(keep.sum(), dtype=bool), (rows[keep], cols[keep])),
        shape=(len(user_ids), len(item_ids)),
    )


def mask_scores(scores: np.ndarray, mask: sp.csr_matrix) -> np.ndarray:
    """Set excluded entries (True in the aligned csr mask) of dense scores to -inf, in place."""
    scores[np.repeat(np.arange(len(scores)), np.diff(mask.indptr)), mask.indices] = -np.inf
    return scores


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Best n columns per row of dense scores, sorted by score then column; and their scores.

    Excluded entries should be -inf: they sort last and recommendation_table drops them.
    """
    n_items = scores.shape[1]
    n = min(n, n_items)
    if n == 0:
        return np.empty((len(scores), 0), np.int64), np.empty((len(scores), 0), scores.dtype)
    # argpartition at the high end measured ~2x faster than on negated scores.
    top = np.argpartition(scores, n_items - n, axis=1)[:, n_items - n :]
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)


def recommendation_table(
    user_ids: np.ndarray, creator_ids: np.ndarray, scores: np.ndarray
) -> pd.DataFrame:
    """user_id, creator_id, rank, score from per-user rows of n creators; -inf entries dropped."""
    n = scores.shape[1]
    keep = (scores > -np.inf).ravel()
    # Excluded items sort last, so the kept ranks of each user are 1..m without gaps.
    return pd.DataFrame(
        {
            "user_id": np.repeat(np.asarray(user_ids, dtype=np.int64), n)[keep],
            "creator_id": np.asarray(creator_ids, dtype=np.int64).ravel()[keep],
            "rank": np.tile(np.arange(1, n + 1, dtype=np.int32), len(user_ids))[keep],
            "score": scores.ravel()[keep].astype(np.float32),
        }
    )


def _universe(observed: pd.Series, fixed: np.ndarray | None) -> np.ndarray:
    if fixed is not None:
        ids = np.asarray(fixed, dtype=np.int64)
        if len(ids) and (np.diff(ids) <= 0).any():
            raise ValueError("a fixed id universe must be sorted ascending without duplicates")
        return ids
    return np.unique(observed.to_numpy(np.int64))
