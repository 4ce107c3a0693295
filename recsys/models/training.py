"""Fit and judge the models: the ALS holdout twin against its floor and ceiling, the serving fit,
and the content model's topical coherence."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.models.als import AlsFactors, AlsParams, fit_als, recommend
from recsys.models.content import (
    ContentModel,
    ContentParams,
    Embeddings,
    creator_embeddings,
    fit_content_model,
    post_texts,
)
from recsys.models.evaluation import (
    CATEGORY_AGREEMENT,
    N_USERS_ELIGIBLE,
    Bootstrap,
    K,
    UserSample,
    evaluate,
    holdout_relevance,
    sample_users,
)
from recsys.models.interactions import build_matrix
from recsys.models.oracle import oracle_recommendations
from recsys.models.popularity import popular_items, recommend_popular

Progress = Callable[[int, float], None]
# Posts whose neighbours the content model is judged on: a stable share at any catalog size, and
# a 1,000 x catalog score block stays small.
AGREEMENT_SAMPLE = 1_000


@dataclass(frozen=True)
class HoldoutReport:
    """The holdout twin's factors; metrics of ALS, popularity and (generated data only) oracle."""

    factors: AlsFactors
    als: dict[str, float]
    popularity: dict[str, float]
    oracle: dict[str, float] | None
    n_users_evaluated: int
    n_users_eligible: int

    def flat_metrics(self) -> dict[str, float]:
        """ALS metrics under their names (and n_users_eligible, the users sampled from); the
        baselines prefixed popularity_ and oracle_."""
        flat = dict(self.als) | {N_USERS_ELIGIBLE: float(self.n_users_eligible)}
        flat |= {f"popularity_{name}": value for name, value in self.popularity.items()}
        flat |= {f"oracle_{name}": value for name, value in (self.oracle or {}).items()}
        return flat


def evaluate_als_on_holdout(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    params: AlsParams,
    k: int,
    truth_dir: Path | None = None,
    progress: Progress | None = None,
    bootstrap: Bootstrap | None = None,
    sample: UserSample | None = None,
) -> HoldoutReport:
    """Fit on train, then rank the full catalog for the holdout users with a new creator.

    The model, popularity and oracle all exclude the creators a user already met in train and
    are judged on the creators the user met for the first time after the cutoff (the global
    cutoff or the user's own, whichever protocol built the split). With `sample`, at most
    sample.max_users of those users are judged, one seeded draw shared by all three (a paired
    comparison); everyone when there are fewer. With `bootstrap`, each nDCG carries its interval
    over the judged users (ndcg_at_k_ci_low / _ci_high), resampled the same way.
    """
    matrix = build_matrix(train, params.alpha)
    factors = fit_als(matrix, params, progress)
    # Users new after the cutoff cannot get model recommendations: judged elsewhere (fallback).
    relevant = holdout_relevance(holdout, matrix.user_ids)
    eligible = relevant["user_id"].nunique()
    users = sample_users(relevant["user_id"].to_numpy(), sample)
    if len(users) < eligible:
        relevant = relevant[relevant["user_id"].isin(users)].reset_index(drop=True)
    # Only the judged users' exclusions: at 1M readers, 20k of them hold 2% of train's pairs.
    seen = train.loc[train["user_id"].isin(users), ["user_id", "creator_id"]]
    popularity = popular_items(train)
    item_popularity = popularity.set_index("creator_id")["n_users"]

    def judged(recommendations: pd.DataFrame) -> dict[str, float]:
        result = evaluate(
            recommendations, relevant, k, len(matrix.item_ids), item_popularity, bootstrap
        )
        return result.as_dict()

    als = judged(recommend(factors, matrix, users, k, exclude=matrix.confidence))
    popular = judged(recommend_popular(popularity, users, k, exclude=seen))
    oracle = None
    if truth_dir is not None:
        ceiling = oracle_recommendations(truth_dir, users, k, matrix.item_ids, exclude=seen)
        oracle = judged(ceiling)
    return HoldoutReport(factors, als, popular, oracle, len(users), eligible)


def fit_serving_als(
    interactions: pd.DataFrame,
    params: AlsParams,
    progress: Progress | None = None,
    init: AlsFactors | None = None,
) -> AlsFactors:
    """The model that serves: the holdout's winning configuration fit on all interactions,
    warm-started from `init` (the holdout twin's factors) where given."""
    return fit_als(build_matrix(interactions, params.alpha), params, progress, init)


def neighbour_category_agreement(
    embeddings: np.ndarray, categories: np.ndarray, k: int, sample: int, seed: int
) -> float:
    """Share of a post's k nearest posts (cosine) that share its category, over a sample.

    A topical embedding puts a post among its own topic; a random one scores about 1/n_topics.
    """
    rng = np.random.default_rng(seed)
    n = len(embeddings)
    rows = rng.choice(n, size=min(sample, n), replace=False)
    scores = embeddings[rows] @ embeddings.T
    scores[np.arange(len(rows)), rows] = -np.inf
    k = min(k, n - 1)
    neighbours = np.argpartition(scores, -k, axis=1)[:, -k:]
    categories = np.asarray(categories)
    return float(np.mean(categories[neighbours] == categories[rows][:, None]))


@dataclass(frozen=True)
class ContentReport:
    """The fitted content model, its post and creator embeddings, and how topical it is."""

    model: ContentModel
    posts: Embeddings
    creators: Embeddings
    metrics: dict[str, float]


def fit_and_judge_content(posts: pd.DataFrame, params: ContentParams) -> ContentReport:
    """Fit on the posts' texts, embed posts and creators, and judge topical coherence.

    `posts` has post_id, creator_id, category, title and body. Metrics: the share of a post's K
    nearest posts in its category (over AGREEMENT_SAMPLE posts drawn with params.seed), the same
    share by chance (the floor the gate judges against), the SVD's explained variance and the
    seconds all of it took.
    """
    started = time.perf_counter()
    model = fit_content_model(post_texts(posts), params)
    vectors = model.embed(post_texts(posts))
    creator_ids, creator_vectors = creator_embeddings(vectors, posts["creator_id"].to_numpy())
    categories = posts["category"].to_numpy()
    agreement = neighbour_category_agreement(vectors, categories, K, AGREEMENT_SAMPLE, params.seed)
    metrics = {
        CATEGORY_AGREEMENT: agreement,
        f"chance_{CATEGORY_AGREEMENT}": chance_category_agreement(posts["category"]),
        "explained_variance": model.explained_variance,
        "fit_seconds": time.perf_counter() - started,
    }
    return ContentReport(
        model,
        Embeddings(posts["post_id"].to_numpy(), vectors),
        Embeddings(creator_ids, creator_vectors),
        metrics,
    )


def chance_category_agreement(categories: np.ndarray | pd.Series) -> float:
    """The agreement of an embedding blind to topics: the chance that two posts drawn at random
    share a category, the sum of the squared category shares."""
    shares = pd.Series(categories).value_counts(normalize=True).to_numpy()
    return float(np.sum(shares**2))
