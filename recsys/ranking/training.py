"""Fit the ranker on the training window and judge it on the holdout beside ALS alone.

The training window ranks each reader when they met the last new creator before their cutoff
(recsys/ranking/labels.py), with retrievers that know only what came before that moment: an ALS
fit on the events before each reader's label time (the holdout twin's configuration), the content
profile of what they read before it, the popular list of that day. The holdout window ranks each
judged reader at their cutoff with the holdout twin itself, so the ranker and ALS alone are
compared on the same readers, the same exclusions and the same relevant creators as the ALS gate
(recsys/models/training.py). The ranker that serves is then fit the same way on the holdout
window, the latest behaviour there is: the twin's figures are what the gate judges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.models.als import AlsFactors, AlsParams, fit_als
from recsys.models.content import Embeddings
from recsys.models.evaluation import (
    Bootstrap,
    UserSample,
    evaluate,
    holdout_relevance,
    sample_users,
)
from recsys.models.interactions import Exclusions, build_matrix
from recsys.models.popularity import popular_items
from recsys.models.tuning import Weighting
from recsys.ranking.candidates import (
    CandidateParams,
    Retrievers,
    merge_candidates,
    model_candidates,
    popular_candidates,
    popular_lists,
    reader_profiles,
)
from recsys.ranking.features import FEATURES, FeatureParams, point_in_time_features
from recsys.ranking.gate import FLOOR_PREFIX
from recsys.ranking.labels import (
    GradeScale,
    dbt_weighting,
    holdout_label_times,
    reads_before,
    relevance_grades,
    strength_before,
    training_label_times,
)
from recsys.ranking.ranker import Ranker, RankerParams, fit_ranker, training_readers
from recsys.warehouse import read_table

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RankingParams:
    """Everything that shapes the ranker: its candidates, features, grades and LightGBM."""

    candidates: CandidateParams = field(default_factory=CandidateParams)
    features: FeatureParams = field(default_factory=FeatureParams)
    grades: GradeScale = field(default_factory=GradeScale)
    ranker: RankerParams = field(default_factory=RankerParams)

    def as_dict(self) -> dict[str, float | int]:
        """Flat parameters, as MLflow logs them."""
        flat: dict[str, float | int] = {}
        for group in ("candidates", "features", "grades", "ranker"):
            flat |= {f"{group}.{k}": v for k, v in getattr(self, group).__dict__.items()}
        return flat


@dataclass(frozen=True)
class HoldoutTwin:
    """The ALS holdout twin the ranker refines: its configuration, the strength's half-life when
    it is not dbt's, and its factors (fit on the training split)."""

    params: AlsParams
    half_life_days: float | None
    factors: AlsFactors


@dataclass(frozen=True)
class RankingData:
    """Both windows' candidates with their features and grades (grade 0: not engaged), and what
    the holdout is judged with: relevant pairs, catalog size, train popularity."""

    training: pd.DataFrame
    holdout: pd.DataFrame
    relevant: pd.DataFrame
    catalog_size: int
    item_popularity: pd.Series
    n_users_eligible: int


@dataclass(frozen=True)
class RankerReport:
    """The twin (fit on the training window) and its holdout figures beside ALS alone, and the
    ranker that serves (fit on the holdout window)."""

    twin: Ranker
    serving: Ranker
    metrics: dict[str, float]
    importances: pd.Series


def window_candidates(
    conn: duckdb.DuckDBPyConnection,
    label_times: pd.DataFrame,
    retrievers: Retrievers,
    exclude: Exclusions | None,
    params: RankingParams,
) -> pd.DataFrame:
    """Every retriever's candidates for the readers of `label_times`, merged, with their features
    as of each reader's label time; `exclude` never proposed."""
    users = label_times["user_id"].to_numpy(np.int64)
    sizes = params.candidates
    lists = popular_lists(
        conn, label_times["label_ts"].dt.floor("D"), 2 * sizes.popular_and_fresh, sizes.recent_days
    )
    merged = merge_candidates(
        [
            model_candidates(retrievers.als, users, sizes.als, "als", exclude),
            model_candidates(retrievers.content, users, sizes.content, "content", exclude),
            popular_candidates(lists, label_times, sizes.popular_and_fresh, exclude),
        ],
        retrievers,
    )
    merged = merged.merge(label_times[["user_id", "label_ts"]], on="user_id", how="left")
    return point_in_time_features(conn, merged, params.features)


def graded(candidates: pd.DataFrame, grades: pd.DataFrame) -> pd.DataFrame:
    """The candidates with each one's grade (0 where the reader did not engage)."""
    merged = candidates.merge(
        grades[["user_id", "creator_id", "grade"]], on=["user_id", "creator_id"], how="left"
    )
    return merged.assign(grade=merged["grade"].fillna(0).astype(np.int32))


def build_ranking_data(
    conn: duckdb.DuckDBPyConnection,
    twin: HoldoutTwin,
    posts: Embeddings,
    creators: Embeddings,
    sample: UserSample,
    params: RankingParams,
    progress: Progress = lambda _: None,
) -> RankingData:
    """The training window (its own ALS fit) and the holdout window (the twin), candidates,
    features and grades, for at most params.ranker.max_training_readers training readers and
    the ALS gate's sample of judged readers."""
    weighting = dbt_weighting()
    if twin.half_life_days is not None:
        weighting = replace(weighting, half_life_days=twin.half_life_days)

    training_labels = training_label_times(conn)
    holdout_labels = holdout_label_times(conn)
    # Readers without a training label time train the window's ALS up to their own cutoff.
    horizons = pd.concat(
        [
            training_labels,
            holdout_labels[~holdout_labels["user_id"].isin(training_labels["user_id"])],
        ],
        ignore_index=True,
    )
    progress("Training window: ALS on each reader's events before their label time")
    strength = strength_before(conn, horizons, weighting)
    window_als = fit_als(build_matrix(strength, twin.params.alpha), twin.params)
    readers = _candidate_readers(training_labels, params.ranker)
    training_labels = training_labels[training_labels["user_id"].isin(readers)]
    training = _window(
        conn, training_labels, window_als, strength, posts, creators, params, weighting
    )
    progress(f"Training window: {len(training):,} candidates of {len(readers):,} readers")

    train = read_table(conn, "marts.interactions_train", ["user_id", "creator_id"])
    holdout = read_table(conn, "marts.interactions_holdout")
    relevant = holdout_relevance(holdout, twin.factors.user_ids)
    eligible = relevant["user_id"].nunique()
    judged = sample_users(relevant["user_id"].to_numpy(), sample)
    relevant = relevant[relevant["user_id"].isin(judged)].reset_index(drop=True)
    holdout_labels = holdout_labels[holdout_labels["user_id"].isin(judged)]
    holdout_examples = _window(
        conn, holdout_labels, twin.factors, train, posts, creators, params, weighting
    )
    progress(f"Holdout window: {len(holdout_examples):,} candidates of {len(judged):,} readers")
    return RankingData(
        training=training,
        holdout=holdout_examples,
        relevant=relevant,
        catalog_size=len(twin.factors.item_ids),
        item_popularity=popular_items(train).set_index("creator_id")["n_users"],
        n_users_eligible=int(eligible),
    )


def _candidate_readers(labels: pd.DataFrame, params: RankerParams) -> np.ndarray:
    """Readers whose candidates are built: a seeded draw of at most twice the readers a fit
    takes (about half of them meet a creator among their candidates)."""
    readers = labels["user_id"].to_numpy(np.int64)
    cap = 2 * params.max_training_readers
    if len(readers) <= cap:
        return np.sort(readers)
    return np.sort(np.random.default_rng(params.seed).choice(readers, size=cap, replace=False))


def _window(
    conn: duckdb.DuckDBPyConnection,
    labels: pd.DataFrame,
    als: AlsFactors,
    met: pd.DataFrame,
    posts: Embeddings,
    creators: Embeddings,
    params: RankingParams,
    weighting: Weighting,
) -> pd.DataFrame:
    """One window's graded candidates: the creators each reader met before their label time
    (`met`'s pairs) are never proposed."""
    profiles = reader_profiles(reads_before(conn, labels, weighting), posts)
    retrievers = Retrievers(als, profiles, creators)
    exclude = met.loc[met["user_id"].isin(labels["user_id"]), ["user_id", "creator_id"]]
    candidates = window_candidates(conn, labels, retrievers, exclude, params)
    return graded(candidates, relevance_grades(conn, labels, params.grades, weighting))


def fit_and_judge(
    data: RankingData,
    params: RankingParams,
    baselines: Mapping[str, float],
    k: int,
    bootstrap: Bootstrap | None = None,
) -> RankerReport:
    """Fit the twin on the training window, judge its top k on the holdout beside ALS alone
    (candidates by ALS rank, the twin's own list) on the same readers, add the `baselines`
    (popularity and oracle, as the ALS twin measured them on the same readers), then fit the
    serving ranker on the holdout window."""
    twin = fit_ranker(data.training, FEATURES, params.ranker)
    holdout = data.holdout.assign(score=twin.predict(data.holdout))

    def judged(recommendations: pd.DataFrame) -> dict[str, float]:
        result = evaluate(
            recommendations, data.relevant, k, data.catalog_size, data.item_popularity, bootstrap
        )
        return result.as_dict()

    ranked = judged(top_k(holdout, "score", k, ascending=False))
    als_alone = judged(top_k(holdout.dropna(subset=["als_rank"]), "als_rank", k, ascending=True))
    metrics = (
        ranked
        | {f"{FLOOR_PREFIX}{name}": value for name, value in als_alone.items()}
        | dict(baselines)
        | _window_figures(data, params.ranker)
    )
    serving = fit_ranker(data.holdout, FEATURES, params.ranker)
    return RankerReport(twin, serving, metrics, twin.importances())


def top_k(candidates: pd.DataFrame, by: str, k: int, ascending: bool) -> pd.DataFrame:
    """user_id, creator_id, rank: each reader's first k candidates by `by` (ties: creator id)."""
    ordered = candidates.sort_values(
        ["user_id", by, "creator_id"], ascending=[True, ascending, True], kind="stable"
    )
    ranked = ordered.assign(rank=ordered.groupby("user_id", sort=False).cumcount() + 1)
    return ranked.loc[ranked["rank"] <= k, ["user_id", "creator_id", "rank"]]


def _window_figures(data: RankingData, params: RankerParams) -> dict[str, float]:
    """How much the candidates hold (recall of the relevant pairs), per reader, and by source."""
    found = data.holdout.merge(data.relevant, on=["user_id", "creator_id"])
    figures = {
        "candidate_recall": len(found) / max(len(data.relevant), 1),
        "candidates_per_reader": len(data.holdout) / max(data.holdout["user_id"].nunique(), 1),
        "training_rows": float(len(data.training)),
        "training_readers": float(len(training_readers(data.training, params))),
        "n_users_eligible": float(data.n_users_eligible),
    }
    for source in ("als", "content", "popular_and_fresh"):
        found_by = found[f"{source}_rank"].notna().sum()
        figures[f"candidate_recall_{source}"] = found_by / max(len(data.relevant), 1)
    return figures
