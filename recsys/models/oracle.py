"""The ceiling: recommendations ranked by the generator's true affinity (recsys.datagen.truth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.datagen.population import FRONT_PAGE_SHARE
from recsys.datagen.truth import CREATORS_FILE, USER_TOPICS_FILE
from recsys.datagen.vocabulary import TOPICS
from recsys.models.interactions import (
    Exclusions,
    exclusion_mask,
    mask_scores,
    recommendation_table,
    top_n,
)

BATCH_USERS = 2_048


def oracle_recommendations(
    truth_dir: Path,
    user_ids: np.ndarray,
    n: int,
    creator_ids: np.ndarray,
    exclude: Exclusions | None = None,
) -> pd.DataFrame:
    """Top-n of `creator_ids` by true affinity per user: user_id, creator_id, rank, score.

    `creator_ids` are the candidates, i.e. the creators that existed by the cutoff (a model
    cannot know later ones, so neither may its ceiling). The score is the affinity formula of
    recsys.datagen.truth, which true_top_creators also ranks by, here restricted to candidates
    and with the same exclusions as the models.
    """
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creators = pd.read_parquet(Path(truth_dir) / CREATORS_FILE)
    creators = creators[creators["creator_id"].isin(np.asarray(creator_ids))]
    creators = creators.sort_values("creator_id", kind="stable")
    prefs = pd.read_parquet(Path(truth_dir) / USER_TOPICS_FILE)
    prefs = prefs[prefs["user_id"].isin(user_ids)]
    topics = pd.Index(TOPICS)
    taste = np.zeros((len(user_ids), len(TOPICS)))
    taste[pd.Index(user_ids).get_indexer(prefs["user_id"]), topics.get_indexer(prefs["topic"])] = (
        prefs["weight"].to_numpy()
    )
    creator_topic = topics.get_indexer(creators["topic"])
    topic_part = (1.0 - FRONT_PAGE_SHARE) * creators["topic_share"].to_numpy()
    front_part = FRONT_PAGE_SHARE * creators["global_share"].to_numpy()
    item_ids = creators["creator_id"].to_numpy(np.int64)
    mask = exclusion_mask(exclude, user_ids, item_ids)
    frames = [recommendation_table(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 0)))]
    # Batches bound the dense users x creators block (50k creators at the large scale).
    for lo in range(0, len(user_ids), BATCH_USERS):
        scores = taste[lo : lo + BATCH_USERS][:, creator_topic] * topic_part + front_part
        top, top_scores = top_n(mask_scores(scores, mask[lo : lo + BATCH_USERS]), n)
        frames.append(
            recommendation_table(user_ids[lo : lo + BATCH_USERS], item_ids[top], top_scores)
        )
    return pd.concat(frames, ignore_index=True)
