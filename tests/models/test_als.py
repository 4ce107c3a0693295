"""ALS on a small generated platform: beats popularity, nears the truth, never leaks, repeats."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from support import REPO

from recsys.datagen import Scale, generate_platform
from recsys.models.als import (
    AlsFactors,
    AlsParams,
    IterationProgress,
    converged,
    fit_als,
    recommend,
)
from recsys.models.evaluation import evaluate, holdout_relevance
from recsys.models.interactions import InteractionMatrix, build_matrix
from recsys.models.oracle import oracle_recommendations
from recsys.models.popularity import popular_items, recommend_popular

# Big enough for a stable holdout signal (a few thousand new pairs), small enough to stay fast.
SCALE = Scale(
    "als-test", n_users=3_000, n_creators=400, n_posts=6_000, n_days=21, events_per_day=12_000
)
SEED = 11
HOLDOUT_DAYS = 5
# Mirrors the dbt vars (event_weights, decay_half_life_days): the test builds the marts in pandas.
EVENT_WEIGHTS = {"view": 1.0, "read": 3.0, "like": 4.0, "comment": 5.0, "share": 6.0}
HALF_LIFE_DAYS = 14.0
K = 10


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame
    creators: pd.DataFrame
    cutoff: pd.Timestamp
    truth: Path


def _aggregate(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    age_days = (as_of - events["event_at"]).dt.total_seconds() / 86_400.0
    weighted = events.assign(
        strength=events["event_type"].map(EVENT_WEIGHTS) * 0.5 ** (age_days / HALF_LIFE_DAYS)
    )
    return (
        weighted.groupby(["user_id", "creator_id"])
        .agg(n_events=("event_id", "size"), strength=("strength", "sum"))
        .reset_index()
    )


def build_split(root: Path, scale: Scale, seed: int) -> Split:
    """marts.interactions_train / interactions_holdout, built in pandas from generated files."""
    generate_platform(root / "landing", root / "truth", scale, seed=seed)
    events = pd.read_parquet(root / "landing" / "events")
    posts = pd.read_parquet(root / "landing" / "posts", columns=["post_id", "creator_id"])
    events = events.merge(posts, on="post_id")
    cutoff = events["event_at"].max().normalize() - pd.Timedelta(days=HOLDOUT_DAYS - 1)
    before = events["event_at"] < cutoff
    train = _aggregate(events[before], cutoff)
    holdout = _aggregate(events[~before], events["event_at"].max())
    seen = pd.MultiIndex.from_frame(train[["user_id", "creator_id"]])
    holdout["seen_in_train"] = pd.MultiIndex.from_frame(holdout[["user_id", "creator_id"]]).isin(
        seen
    )
    creators = pd.read_parquet(root / "landing" / "creators", columns=["creator_id", "created_at"])
    return Split(train, holdout, creators, cutoff, root / "truth")


def holdout_ndcg(split: Split, params: AlsParams) -> dict[str, float]:
    """nDCG@K on creators new to each train user: ALS, popularity and the true-preference oracle."""
    matrix = build_matrix(split.train, params.alpha)
    relevant = holdout_relevance(split.holdout, matrix.user_ids)
    users = relevant["user_id"].unique()
    catalog = split.creators.loc[split.creators["created_at"] < split.cutoff, "creator_id"]
    popularity = split.train.groupby("creator_id")["user_id"].nunique()
    seen = split.train[["user_id", "creator_id"]]

    def ndcg(recommendations: pd.DataFrame) -> float:
        return evaluate(recommendations, relevant, K, len(catalog), popularity).ndcg

    factors = fit_als(matrix, params)
    return {
        "als": ndcg(recommend(factors, matrix, users, K, matrix.confidence)),
        "popularity": ndcg(recommend_popular(popular_items(split.train), users, K, seen)),
        "oracle": ndcg(oracle_recommendations(split.truth, users, K, catalog.to_numpy(), seen)),
    }


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Split:
    return build_split(tmp_path_factory.mktemp("platform"), SCALE, SEED)


@pytest.fixture(scope="module")
def matrix(split: Split) -> InteractionMatrix:
    return build_matrix(split.train, AlsParams().alpha)


@pytest.fixture(scope="module")
def factors(matrix: InteractionMatrix) -> AlsFactors:
    return fit_als(matrix, AlsParams())


def test_als_beats_popularity_and_nears_the_oracle_on_new_creators(split: Split) -> None:
    ndcg = holdout_ndcg(split, AlsParams())
    # Measured at this scale, seed 11: ALS 0.322, popularity 0.130, oracle 0.436 (over seeds
    # 11-14: ALS / popularity 2.4-3.3, ALS / oracle 0.72-0.85).
    assert ndcg["als"] >= 1.5 * ndcg["popularity"]
    assert ndcg["als"] >= 0.6 * ndcg["oracle"]


def test_same_seed_gives_bit_identical_factors_and_recommendations(
    matrix: InteractionMatrix, factors: AlsFactors
) -> None:
    again = fit_als(matrix, AlsParams())
    assert np.array_equal(again.user_factors, factors.user_factors)
    assert np.array_equal(again.item_factors, factors.item_factors)
    users = matrix.user_ids
    pd.testing.assert_frame_equal(
        recommend(again, matrix, users, K, matrix.confidence),
        recommend(factors, matrix, users, K, matrix.confidence),
    )


def test_progress_reports_every_iteration_and_the_loss_only_at_checks_without_changing_factors(
    matrix: InteractionMatrix, factors: AlsFactors
) -> None:
    params = replace(AlsParams(), tolerance=0.0)
    seen: list[tuple[int, float]] = []
    reported = fit_als(matrix, params, progress=lambda i, loss: seen.append((i, loss)))
    assert [i for i, _ in seen] == list(range(1, params.iterations + 1))
    measured = [i for i, loss in seen if np.isfinite(loss)]
    assert measured == list(range(params.loss_every, params.iterations + 1, params.loss_every))
    assert np.array_equal(reported.user_factors, fit_als(matrix, params).user_factors)


def test_a_fit_of_fixed_iterations_is_implicits_own_fit_bit_for_bit(
    matrix: InteractionMatrix,
) -> None:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    params = replace(AlsParams(), tolerance=0.0, iterations=6)
    with threadpool_limits(limits=1, user_api="blas"):
        plain = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            iterations=params.iterations,
            random_state=params.seed,
        )
        plain.fit(matrix.confidence, show_progress=False)
    ours = fit_als(matrix, params)
    assert np.array_equal(ours.user_factors, plain.user_factors)
    assert np.array_equal(ours.item_factors, plain.item_factors)


def test_the_fit_stops_once_the_loss_improves_less_than_the_tolerance(
    matrix: InteractionMatrix,
) -> None:
    losses: list[tuple[int, float]] = []
    params = replace(AlsParams(), iterations=30, tolerance=0.001, loss_every=3)
    fit_als(matrix, params, lambda i, loss: losses.append((i, loss)))
    checks = [(i, loss) for i, loss in losses if np.isfinite(loss)]
    stopped_at, last = checks[-1]
    assert stopped_at < params.iterations
    assert checks[-2][1] - last < params.tolerance * checks[-2][1]
    assert all(
        before - after >= params.tolerance * before
        for (_, before), (_, after) in pairwise(checks[:-1])
    )


def test_a_warm_start_from_a_fit_on_most_of_the_data_converges_sooner_to_no_worse_a_loss(
    split: Split, matrix: InteractionMatrix
) -> None:
    # A twin on the train matrix minus its last tenth of users, as the holdout twin misses the
    # serving data's newest interactions; the serving fit on the whole matrix.
    known = matrix.user_ids[: int(len(matrix.user_ids) * 0.9)]
    twin_matrix = build_matrix(split.train[split.train["user_id"].isin(known)], AlsParams().alpha)
    twin = fit_als(twin_matrix, AlsParams())
    cold: list[tuple[int, float]] = []
    warm: list[tuple[int, float]] = []
    fit_als(matrix, AlsParams(), lambda i, loss: cold.append((i, loss)))
    started = fit_als(matrix, AlsParams(), lambda i, loss: warm.append((i, loss)), init=twin)
    assert len(warm) < len(cold)
    assert warm[-1][1] <= cold[-1][1] * (1 + AlsParams().tolerance)
    # Users the twin never saw still get factors of their own.
    new_rows = matrix.user_rows(matrix.user_ids[len(known) :])
    assert np.abs(started.user_factors[new_rows]).sum(axis=1).min() > 0


def test_convergence_waits_for_two_losses() -> None:
    assert not converged(float("nan"), 1.0, 0.01)
    assert not converged(1.0, 0.9, 0.01)
    assert converged(1.0, 0.995, 0.01)


def test_the_progress_line_says_how_far_the_fit_is_and_what_is_left() -> None:
    lines: list[str] = []
    progress = IterationProgress(replace(AlsParams(), iterations=9, tolerance=0.01), lines.append)
    progress(1, float("nan"))
    progress(3, 1.0)
    progress(6, 0.999)
    assert lines[0].startswith("ALS iteration 1/9, ") and "s left" in lines[0]
    assert "training loss 1.00000" in lines[1] and "converged" not in lines[1]
    assert "converged" in lines[2]


def test_train_seen_creators_are_never_recommended(
    split: Split, matrix: InteractionMatrix, factors: AlsFactors
) -> None:
    seen = split.train[["user_id", "creator_id"]]
    # Ask for the whole catalog, so every user's list is exactly what exclusion leaves.
    n_items = len(matrix.item_ids)
    by_matrix = recommend(factors, matrix, matrix.user_ids, n_items, matrix.confidence)
    by_pairs = recommend(factors, None, matrix.user_ids, n_items, seen)
    pd.testing.assert_frame_equal(by_matrix, by_pairs)
    assert by_matrix.merge(seen, on=["user_id", "creator_id"]).empty
    per_user = by_matrix.groupby("user_id")["rank"].agg(["min", "max", "size"])
    n_seen = seen.groupby("user_id").size().reindex(per_user.index)
    assert (per_user["size"] == n_items - n_seen).all()
    assert (per_user["min"] == 1).all() and (per_user["max"] == per_user["size"]).all()
    assert (by_matrix.groupby("user_id")["score"].diff().dropna() <= 0).all()


def test_baseline_and_oracle_never_recommend_train_seen_creators(split: Split) -> None:
    seen = split.train[["user_id", "creator_id"]]
    users = seen["user_id"].unique()
    creators = split.creators["creator_id"].to_numpy()
    popular = recommend_popular(popular_items(split.train), users, K, seen)
    oracle = oracle_recommendations(split.truth, users, K, creators, seen)
    for recommendations in (popular, oracle):
        assert recommendations.groupby("user_id").size().eq(K).all()
        assert recommendations.merge(seen, on=["user_id", "creator_id"]).empty


def test_recommend_ranks_exactly_by_inner_product(factors: AlsFactors) -> None:
    user_ids = factors.user_ids[:50]
    recommendations = recommend(factors, None, user_ids, K, exclude=None)
    scores = factors.user_factors[:50] @ factors.item_factors.T
    expected = factors.item_ids[np.argsort(-scores, axis=1, kind="stable")[:, :K]]
    assert np.array_equal(recommendations["creator_id"].to_numpy().reshape(50, K), expected)


def test_unknown_users_get_no_model_recommendations(factors: AlsFactors) -> None:
    unknown = np.array([factors.user_ids.max() + 1])
    assert recommend(factors, None, unknown, K).empty


def test_factors_round_trip_through_one_npz(factors: AlsFactors, tmp_path: Path) -> None:
    path = factors.save(tmp_path / "als.npz")
    loaded = AlsFactors.load(path)
    for name in ("user_factors", "item_factors", "user_ids", "item_ids"):
        assert np.array_equal(getattr(loaded, name), getattr(factors, name))
        assert getattr(loaded, name).dtype == getattr(factors, name).dtype


def test_popularity_ranks_by_distinct_users_then_id_and_skips_excluded() -> None:
    train = pd.DataFrame(
        {"user_id": [1, 2, 3, 1, 1, 2, 3, 4], "creator_id": [10, 10, 10, 20, 20, 30, 30, 5]}
    )
    # Distinct users: 10 -> 3, 30 -> 2, 20 -> 1 (user 1's two rows count once), 5 -> 1 (tie: id 5
    # before id 20).
    popular = popular_items(train)
    assert popular["creator_id"].tolist() == [10, 30, 5, 20]
    recommendations = recommend_popular(popular, np.array([1, 4]), 2, {1: [10], 4: [5]})
    assert recommendations[["user_id", "creator_id", "rank"]].values.tolist() == [
        [1, 30, 1],
        [1, 5, 2],
        [4, 10, 1],
        [4, 30, 2],
    ]


def test_matrix_can_share_a_fixed_item_universe() -> None:
    interactions = pd.DataFrame({"user_id": [1, 2], "creator_id": [30, 10], "strength": [0.0, 3.0]})
    matrix = build_matrix(interactions, alpha=2.0, item_ids=np.array([10, 20, 30, 40]))
    assert matrix.shape == (2, 4)
    dense = matrix.confidence.toarray()
    # Confidence 1 + alpha * log1p(strength): log1p(0) = 0 leaves the base confidence 1.
    assert dense[0, 2] == pytest.approx(1.0)
    assert dense[1, 0] == pytest.approx(1.0 + 2.0 * np.log1p(3.0))
    assert matrix.item_columns(np.array([40, 99])).tolist() == [3, -1]


def test_event_weights_mirror_the_dbt_vars() -> None:
    project_file = REPO / "dbt_project" / "dbt_project.yml"
    project = yaml.safe_load(project_file.read_text())
    assert project["vars"]["event_weights"] == EVENT_WEIGHTS
    assert project["vars"]["decay_half_life_days"] == HALF_LIFE_DAYS


def test_the_holdout_report_puts_an_interval_beside_each_ndcg(split: Split) -> None:
    from recsys.models.evaluation import Bootstrap
    from recsys.models.training import evaluate_als_on_holdout

    report = evaluate_als_on_holdout(
        split.train, split.holdout, AlsParams(), K, split.truth, bootstrap=Bootstrap(200, 0.95, 7)
    )
    metrics = report.flat_metrics()

    for prefix in ("", "popularity_", "oracle_"):
        name = f"{prefix}ndcg_at_10"
        low, mid, high = metrics[f"{name}_ci_low"], metrics[name], metrics[f"{name}_ci_high"]
        assert low < mid < high, prefix
    assert metrics["n_users_evaluated"] == report.n_users_evaluated > 100


def test_a_sampled_holdout_judges_the_same_users_for_the_model_and_both_baselines(
    split: Split,
) -> None:
    from recsys.models.evaluation import UserSample
    from recsys.models.training import evaluate_als_on_holdout

    report = evaluate_als_on_holdout(
        split.train, split.holdout, AlsParams(), K, split.truth, sample=UserSample(150, seed=7)
    )
    metrics = report.flat_metrics()

    assert report.n_users_evaluated == 150 < report.n_users_eligible
    assert metrics["n_users_eligible"] == report.n_users_eligible
    for prefix in ("", "popularity_", "oracle_"):
        assert metrics[f"{prefix}n_users_evaluated"] == 150, prefix
