"""The ceiling: recommendations ranked by the generator's true affinity (recsys.datagen.truth)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from recsys.datagen.population import FRONT_PAGE_SHARE
from recsys.datagen.truth import CREATORS_FILE, USER_TOPICS_FILE
from recsys.datagen.vocabulary import TOPICS
from recsys.models.als import BATCH_USERS, SCORE_WORKERS
from recsys.models.interactions import (
    Exclusions,
    exclusion_mask,
    mask_scores,
    recommendation_table,
    top_n,
)


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

    Scored like the ALS model (recsys.models.als.recommend): the affinity is a float32 inner
    product, [taste over topics, 1] . [topic share of c in its topic's row, front-page share],
    in batches of users over parallel workers with single-threaded BLAS. float32 may swap two
    creators whose affinities agree to 7 digits; the lists' hits do not measurably move.
    """
    user_ids = pd.unique(np.asarray(user_ids, dtype=np.int64))
    creators = pd.read_parquet(Path(truth_dir) / CREATORS_FILE)
    creators = creators[creators["creator_id"].isin(np.asarray(creator_ids))]
    creators = creators.sort_values("creator_id", kind="stable")
    prefs = pd.read_parquet(Path(truth_dir) / USER_TOPICS_FILE)
    prefs = prefs[prefs["user_id"].isin(user_ids)]
    taste, weights = _affinity_factors(user_ids, prefs, creators)
    item_ids = creators["creator_id"].to_numpy(np.int64)
    mask = exclusion_mask(exclude, user_ids, item_ids)
    n = min(n, len(item_ids))

    def batch(lo: int) -> tuple[np.ndarray, np.ndarray]:
        scores = taste[lo : lo + BATCH_USERS] @ weights
        return top_n(mask_scores(scores, mask[lo : lo + BATCH_USERS]), n)

    # Batches bound the dense users x creators block (50k creators at the large scale); each
    # batch's result depends only on its rows, so the threads keep results deterministic.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=SCORE_WORKERS) as pool,
    ):
        results = list(pool.map(batch, range(0, len(user_ids), BATCH_USERS)))
    if not results:
        return recommendation_table(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, n)))
    top = np.concatenate([columns for columns, _ in results])
    top_scores = np.concatenate([scores for _, scores in results])
    return recommendation_table(user_ids, item_ids[top], top_scores)


def _affinity_factors(
    user_ids: np.ndarray, prefs: pd.DataFrame, creators: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """float32 users x (topics + 1) and (topics + 1) x creators whose product is the affinity.

    A user's row is their taste per topic and a constant 1; a creator's column holds
    (1 - f) * topic_share in its topic's row and f * global_share in the last row.
    """
    topics = pd.Index(TOPICS)
    creator_topic = topics.get_indexer(creators["topic"])
    if (creator_topic < 0).any():
        raise ValueError("unknown creator topic in the truth files")
    taste = np.zeros((len(user_ids), len(TOPICS) + 1), dtype=np.float32)
    taste[pd.Index(user_ids).get_indexer(prefs["user_id"]), topics.get_indexer(prefs["topic"])] = (
        prefs["weight"].to_numpy()
    )
    taste[:, -1] = 1.0
    weights = np.zeros((len(TOPICS) + 1, len(creators)), dtype=np.float32)
    weights[creator_topic, np.arange(len(creators))] = (1.0 - FRONT_PAGE_SHARE) * creators[
        "topic_share"
    ].to_numpy()
    weights[-1] = FRONT_PAGE_SHARE * creators["global_share"].to_numpy()
    return taste, weights
