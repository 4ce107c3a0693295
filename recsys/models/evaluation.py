"""Offline top-k metrics over the full catalog, and the temporal holdout's relevance sets.

Definitions, per user u with relevant set R_u (|R_u| >= 1) and top-k list L_u (rank <= k):
- precision@k = |L_u & R_u| / k (k even when fewer than k items were recommended);
- recall@k = |L_u & R_u| / min(k, |R_u|): "truncated recall" (as in Liang et al. 2018,
  VAE-CF), so a perfect list scores 1.0 even when a user has more than k relevant items;
- ndcg@k = DCG / IDCG with binary gains, DCG = sum over hits of 1 / log2(rank + 1), IDCG the DCG
  of min(k, |R_u|) hits at ranks 1, 2, ...;
- map@k = mean over users of AP@k = sum over hits at rank r of precision@r, / min(k, |R_u|).
Each is averaged over users with at least one relevant item: users with recommendations but no
relevant item are not counted; users with relevant items but no recommendations count as 0.
Every catalog item is a candidate (no sampled negatives), so the numbers are small but honest.

Each nDCG@k comes with a percentile bootstrap interval over users (`bootstrap_interval`): the
per-user values are resampled with replacement, so the interval says how much the figure would move
with another draw of as many users.

At scale the judged users are a seeded sample (`sample_users`, at most `UserSample.max_users`):
an interval's width shrinks as 1/sqrt(users), so past some tens of thousands more users only cost
time. Every model and baseline is judged on the same sample, so their comparison is paired.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

# The cutoff the models are judged and gated at (ndcg_at_10, category_agreement_at_10).
K = 10
# A post's K nearest posts sharing its category: the content model's topical coherence.
CATEGORY_AGREEMENT = f"category_agreement_at_{K}"
# The number of users a figure averages over (as_dict's name for EvaluationResult.n_users).
N_USERS_EVALUATED = "n_users_evaluated"
# The users who could have been judged, before sampling (n_users_evaluated when all were).
N_USERS_ELIGIBLE = "n_users_eligible"
# Resamples are drawn in blocks of this many indices, so memory stays flat at any user count.
BOOTSTRAP_BLOCK_INDICES = 2**22


def ci_names(metric: str) -> tuple[str, str]:
    """The names of a metric's interval bounds: ndcg_at_10 -> ndcg_at_10_ci_low, _ci_high."""
    return f"{metric}_ci_low", f"{metric}_ci_high"


@dataclass(frozen=True)
class Bootstrap:
    """How intervals are drawn: resamples over users, the confidence level, the seed. The
    defaults the gate reads live in recsys.models.gate_rule (GatePolicy.bootstrap())."""

    resamples: int
    confidence: float
    seed: int


@dataclass(frozen=True)
class UserSample:
    """How many judged users at most, drawn with which seed. The defaults the ALS holdout uses
    live in recsys.models.gate_rule (GatePolicy.user_sample())."""

    max_users: int
    seed: int


def sample_users(user_ids: np.ndarray, sample: UserSample | None) -> np.ndarray:
    """The distinct `user_ids`, sorted; a seeded draw of sample.max_users of them when there are
    more. The same ids and sample give the same users, in whatever order the ids came."""
    users = np.unique(np.asarray(user_ids, dtype=np.int64))
    if sample is None or len(users) <= sample.max_users:
        return users
    rng = np.random.default_rng(sample.seed)
    return np.sort(rng.choice(users, size=sample.max_users, replace=False))


@dataclass(frozen=True)
class EvaluationResult:
    """Top-k metrics of one recommendation table; as_dict() gives flat names like ndcg_at_10."""

    k: int
    n_users: int
    precision: float
    recall: float
    ndcg: float
    map: float
    catalog_coverage: float
    popularity_percentile: float
    ndcg_interval: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, float]:
        values = asdict(self)
        k = values.pop("k")
        n_users = values.pop("n_users")
        interval = values.pop("ndcg_interval")
        flat = {N_USERS_EVALUATED: float(n_users)} | {
            f"{name}_at_{k}": float(value) for name, value in values.items()
        }
        if interval is not None:
            low, high = ci_names(f"ndcg_at_{k}")
            flat |= {low: float(interval[0]), high: float(interval[1])}
        return flat


def holdout_relevance(holdout: pd.DataFrame, user_ids: np.ndarray | None = None) -> pd.DataFrame:
    """Holdout (user_id, creator_id) pairs not seen in train, optionally only for `user_ids`.

    We evaluate the discovery of new creators, and recommendations exclude train-seen creators,
    so a train-seen pair could never be a hit. Pass `user_ids` (e.g. the train users) to
    evaluate only users a model could know: the rest would count as 0 for it.
    """
    relevant = holdout.loc[~holdout["seen_in_train"].astype(bool), ["user_id", "creator_id"]]
    if user_ids is not None:
        relevant = relevant[relevant["user_id"].isin(np.asarray(user_ids))]
    return relevant.drop_duplicates().reset_index(drop=True)


def precision_at_k(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> float:
    per_user = _per_user(recommendations, relevant, k)
    return _mean(per_user["hits"] / k)


def recall_at_k(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> float:
    """Truncated recall: hits / min(k, |relevant|)."""
    per_user = _per_user(recommendations, relevant, k)
    return _mean(per_user["hits"] / np.minimum(k, per_user["n_relevant"]))


def ndcg_at_k(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> float:
    per_user = _per_user(recommendations, relevant, k)
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    return _mean(per_user["dcg"] / ideal[np.minimum(k, per_user["n_relevant"]) - 1])


def per_user_ndcg(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> np.ndarray:
    """nDCG@k of each user with at least one relevant item (their mean is ndcg_at_k)."""
    per_user = _per_user(recommendations, relevant, k)
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    return (per_user["dcg"] / ideal[np.minimum(k, per_user["n_relevant"]) - 1]).to_numpy(np.float64)


def bootstrap_interval(values: np.ndarray, bootstrap: Bootstrap) -> tuple[float, float]:
    """Percentile interval of the mean of `values` (one per user) over resamples of the users.

    NaN bounds for no users; a single user (or identical values) gives a zero-width interval.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(bootstrap.seed)
    n = len(values)
    means = np.empty(bootstrap.resamples, dtype=np.float64)
    block = max(1, BOOTSTRAP_BLOCK_INDICES // n)
    for start in range(0, bootstrap.resamples, block):
        size = min(block, bootstrap.resamples - start)
        means[start : start + size] = values[rng.integers(0, n, size=(size, n))].mean(axis=1)
    tail = (1.0 - bootstrap.confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def map_at_k(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> float:
    per_user = _per_user(recommendations, relevant, k)
    return _mean(per_user["precision_sum"] / np.minimum(k, per_user["n_relevant"]))


def catalog_coverage(recommendations: pd.DataFrame, k: int, catalog_size: int) -> float:
    """Share of the catalog's items recommended to at least one user within the top k."""
    top = recommendations.loc[recommendations["rank"] <= k, "creator_id"]
    return top.nunique() / catalog_size if catalog_size else 0.0


def popularity_percentile(
    recommendations: pd.DataFrame, k: int, item_popularity: pd.Series
) -> float:
    """Mean train-popularity percentile of recommended items (top k, every slot counted).

    `item_popularity` maps creator_id -> train popularity (e.g. distinct users) for the catalog;
    items missing from it count as popularity 0. The percentile is mid-rank (share of catalog
    items less popular, plus half of those tied), so the catalog's own mean is exactly 0.5:
    0.5 means no popularity bias, 1.0 means only the single most popular item.
    """
    top = recommendations.loc[recommendations["rank"] <= k, "creator_id"]
    if top.empty or item_popularity.empty:
        return float("nan")
    catalog = np.sort(item_popularity.to_numpy(np.float64))
    values = top.map(item_popularity).fillna(0.0).to_numpy(np.float64)
    below = np.searchsorted(catalog, values, side="left")
    tied = np.searchsorted(catalog, values, side="right") - below
    return float(np.mean((below + 0.5 * tied) / len(catalog)))


def evaluate(
    recommendations: pd.DataFrame,
    relevant: pd.DataFrame,
    k: int,
    catalog_size: int,
    item_popularity: pd.Series,
    bootstrap: Bootstrap | None = None,
) -> EvaluationResult:
    """All metrics at k (see the module docstring for definitions and denominators); with
    `bootstrap`, nDCG's interval over users too."""
    per_user = _per_user(recommendations, relevant, k)
    capped = np.minimum(k, per_user["n_relevant"])
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    ndcg = per_user["dcg"] / ideal[capped - 1]
    return EvaluationResult(
        k=k,
        n_users=len(per_user),
        precision=_mean(per_user["hits"] / k),
        recall=_mean(per_user["hits"] / capped),
        ndcg=_mean(ndcg),
        map=_mean(per_user["precision_sum"] / capped),
        catalog_coverage=catalog_coverage(recommendations, k, catalog_size),
        popularity_percentile=popularity_percentile(recommendations, k, item_popularity),
        ndcg_interval=(
            None if bootstrap is None else bootstrap_interval(ndcg.to_numpy(np.float64), bootstrap)
        ),
    )


def _per_user(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per user with >= 1 relevant item: n_relevant, hits, dcg, precision_sum (AP numerator)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    relevant = relevant[["user_id", "creator_id"]].drop_duplicates()
    n_relevant = relevant.groupby("user_id").size().rename("n_relevant")
    top = recommendations.loc[recommendations["rank"] <= k, ["user_id", "creator_id", "rank"]]
    hits = top.merge(relevant, on=["user_id", "creator_id"], how="inner")
    # Precision at a hit's rank r is (hits up to and including it) / r.
    hits = hits.sort_values(["user_id", "rank"], kind="stable")
    hit_number = hits.groupby("user_id").cumcount() + 1
    rank = hits["rank"].to_numpy(np.float64)
    scored = pd.DataFrame(
        {
            "user_id": hits["user_id"].to_numpy(),
            "hits": 1.0,
            "dcg": 1.0 / np.log2(rank + 1.0),
            "precision_sum": hit_number.to_numpy(np.float64) / rank,
        }
    )
    sums = scored.groupby("user_id")[["hits", "dcg", "precision_sum"]].sum()
    # Users with relevant items but no hits (or no recommendations at all) score 0.
    return sums.reindex(n_relevant.index, fill_value=0.0).assign(n_relevant=n_relevant)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")
