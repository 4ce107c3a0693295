"""The popularity baseline: every user gets the most-read creators they have not yet seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.models.interactions import Exclusions, exclusion_mask

CHUNK_USERS = 65_536


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
    """
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creator_ids = popular["creator_id"].to_numpy(np.int64)
    scores = popular["n_users"].to_numpy(np.float32)
    mask = exclusion_mask(exclude, user_ids, creator_ids)
    frames = []
    # Chunks bound the dense users x depth block at large scales.
    for lo in range(0, max(len(user_ids), 1), CHUNK_USERS):
        chunk = mask[lo : lo + CHUNK_USERS]
        # Only the first n + (most exclusions of a user) popular creators can ever be needed.
        depth = min(len(creator_ids), n + int(np.diff(chunk.indptr).max(initial=0)))
        allowed = ~chunk[:, :depth].toarray()
        rank = np.cumsum(allowed, axis=1)
        rows, cols = np.nonzero(allowed & (rank <= n))
        frames.append(
            pd.DataFrame(
                {
                    "user_id": user_ids[lo + rows],
                    "creator_id": creator_ids[cols],
                    "rank": rank[rows, cols].astype(np.int32),
                    "score": scores[cols],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
