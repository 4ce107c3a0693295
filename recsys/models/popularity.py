"""The popularity baseline: every user gets the most-read creators they have not yet seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.models.interactions import Exclusions, exclusion_mask


def popular_items(interactions: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Creators by distinct users in `interactions`, ties by id: creator_id, n_users, rank.

    Distinct users rather than summed strength, so that one heavy reader cannot make a creator
    look popular. n=None keeps every creator (what recommend_popular needs to fill lists
    after exclusions).
    """
    counts = (
        interactions.groupby("creator_id", sort=True)["user_id"]
        .nunique()
        .rename("n_users")
        .reset_index()
    )
    ranked = counts.sort_values(["n_users", "creator_id"], ascending=[False, True], kind="stable")
    ranked = ranked.head(n) if n is not None else ranked
    return ranked.assign(rank=np.arange(1, len(ranked) + 1, dtype=np.int32)).reset_index(drop=True)


def recommend_popular(
    popular: pd.DataFrame, user_ids: np.ndarray, n: int, exclude: Exclusions | None = None
) -> pd.DataFrame:
    """The first n creators of `popular` each user may get: user_id, creator_id, rank, score.

    The score is the creator's n_users; excluded creators are skipped (ranks stay 1..m).
    Vectorized over users, with no dense users x creators block: a user's j-th allowed creator
    (from 0) sits at position j + (their excluded positions e_i with e_i - i <= j) of `popular`,
    e_i - i being how many allowed creators precede the i-th excluded one.
    """
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creator_ids = popular["creator_id"].to_numpy(np.int64)
    scores = popular["n_users"].to_numpy(np.float32)
    n = max(0, min(n, len(creator_ids)))
    mask = exclusion_mask(exclude, user_ids, creator_ids)
    mask.sum_duplicates()
    counts = np.diff(mask.indptr)
    row = np.repeat(np.arange(len(user_ids), dtype=np.int64), counts)
    within = np.arange(mask.nnz, dtype=np.int64) - np.repeat(mask.indptr[:-1], counts)
    allowed_before = mask.indices.astype(np.int64) - within
    # One sorted key per excluded entry (row-major, allowed_before non-decreasing within a row),
    # so a single searchsorted counts, per user and slot, the exclusions that push it along.
    stride = len(creator_ids) + 1
    keys = row * stride + allowed_before
    slots = np.arange(n, dtype=np.int64)
    queries = np.arange(len(user_ids), dtype=np.int64)[:, None] * stride + slots
    pushed = np.searchsorted(keys, queries.ravel(), side="right").reshape(queries.shape)
    position = slots + pushed - mask.indptr[:-1, None].astype(np.int64)
    rows, cols = np.nonzero(position < len(creator_ids))
    chosen = position[rows, cols]
    return pd.DataFrame(
        {
            "user_id": user_ids[rows],
            "creator_id": creator_ids[chosen],
            "rank": (cols + 1).astype(np.int32),
            "score": scores[chosen],
        }
    )
