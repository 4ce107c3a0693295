"""Offline metrics against values computed by hand on a four-user example."""

from __future__ import annotations

from math import log2

import numpy as np
import pandas as pd
import pytest

from recsys.models.evaluation import (
    Bootstrap,
    bootstrap_interval,
    catalog_coverage,
    evaluate,
    holdout_relevance,
    map_at_k,
    ndcg_at_k,
    per_user_ndcg,
    popularity_percentile,
    precision_at_k,
    recall_at_k,
)

K = 3


def _recommendations(lists: dict[int, list[int]]) -> pd.DataFrame:
    rows = [
        (user, creator, rank)
        for user, creators in lists.items()
        for rank, creator in enumerate(creators, start=1)
    ]
    return pd.DataFrame(rows, columns=["user_id", "creator_id", "rank"])


def _relevant(sets: dict[int, list[int]]) -> pd.DataFrame:
    rows = [(user, creator) for user, creators in sets.items() for creator in creators]
    return pd.DataFrame(rows, columns=["user_id", "creator_id"])


# User 1: hit at rank 2 of 2 relevant; creator 40 is relevant but at rank 4, outside k = 3.
# User 2: hits at ranks 1 and 3 of 5 relevant.
# User 3: recommendations but nothing relevant -> not counted.
# User 4: relevant items but no recommendations -> counts 0.
RECOMMENDATIONS = _recommendations({1: [10, 20, 30, 40], 2: [10, 20, 30], 3: [10, 20, 30]})
RELEVANT = _relevant({1: [20, 40], 2: [10, 30, 50, 60, 70], 4: [10]})


def test_precision_divides_hits_by_k_over_users_with_relevant_items() -> None:
    # (1/3 + 2/3 + 0) / 3 users
    assert precision_at_k(RECOMMENDATIONS, RELEVANT, K) == pytest.approx(1 / 3)


def test_recall_divides_hits_by_min_of_k_and_relevant_count() -> None:
    # user 1: 1 / min(3, 2); user 2: 2 / min(3, 5); user 4: 0
    assert recall_at_k(RECOMMENDATIONS, RELEVANT, K) == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)


def test_ndcg_uses_binary_gains_and_the_ideal_of_min_k_relevant_hits() -> None:
    user_1 = (1 / log2(3)) / (1 + 1 / log2(3))  # hit at rank 2; ideal: 2 hits
    user_2 = (1 + 1 / log2(4)) / (1 + 1 / log2(3) + 1 / log2(4))  # ranks 1, 3; ideal: 3 hits
    assert ndcg_at_k(RECOMMENDATIONS, RELEVANT, K) == pytest.approx((user_1 + user_2 + 0) / 3)


def test_map_normalises_average_precision_by_min_k_relevant() -> None:
    user_1 = (1 / 2) / 2  # precision@2 = 1/2, over min(3, 2)
    user_2 = (1 / 1 + 2 / 3) / 3  # precision@1 = 1, precision@3 = 2/3, over min(3, 5)
    assert map_at_k(RECOMMENDATIONS, RELEVANT, K) == pytest.approx((user_1 + user_2 + 0) / 3)


def test_users_without_relevant_items_are_not_counted() -> None:
    only_user_3 = RECOMMENDATIONS[RECOMMENDATIONS["user_id"] == 3]
    with_user_3 = pd.concat([only_user_3, RECOMMENDATIONS[RECOMMENDATIONS["user_id"] == 2]])
    # User 3 has nothing relevant, so adding (or dropping) its list changes no average.
    result = evaluate(with_user_3, RELEVANT[RELEVANT["user_id"] == 2], K, 8, pd.Series(dtype=float))
    assert result.n_users == 1
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)


def test_perfect_recommendations_score_one_even_with_more_relevant_than_k() -> None:
    recommendations = _recommendations({1: [5, 6, 7], 2: [1, 2, 3]})
    relevant = _relevant({1: [5, 6, 7], 2: [1, 2, 3, 4, 8]})
    result = evaluate(recommendations, relevant, K, 10, pd.Series(dtype=float))
    assert (result.precision, result.recall, result.ndcg, result.map) == pytest.approx(
        (1.0, 1.0, 1.0, 1.0)
    )


def test_catalog_coverage_counts_distinct_items_within_k() -> None:
    # {10, 20, 30} within rank 3; creator 40 only at rank 4. Catalog of 8 creators.
    assert catalog_coverage(RECOMMENDATIONS, K, catalog_size=8) == pytest.approx(3 / 8)


ITEM_POPULARITY = pd.Series({10: 5, 20: 3, 30: 3, 40: 1, 50: 0, 60: 0, 70: 0, 80: 0})


def test_popularity_percentile_is_the_mean_mid_rank_percentile_of_recommended_slots() -> None:
    # Sorted popularity [0, 0, 0, 0, 1, 3, 3, 5]: creator 10 -> (7 + 0.5) / 8 = 0.9375,
    # creators 20 and 30 -> (5 + 0.5 * 2) / 8 = 0.75. Each of 3 users gets 10, 20, 30 in top 3.
    expected = (0.9375 + 0.75 + 0.75) / 3
    assert popularity_percentile(RECOMMENDATIONS, K, ITEM_POPULARITY) == pytest.approx(expected)


def test_popularity_percentile_of_the_whole_catalog_is_one_half() -> None:
    everything = _recommendations({1: list(ITEM_POPULARITY.index)})
    assert popularity_percentile(everything, 8, ITEM_POPULARITY) == pytest.approx(0.5)


def test_evaluate_reports_flat_metric_names_at_k() -> None:
    result = evaluate(RECOMMENDATIONS, RELEVANT, K, 8, ITEM_POPULARITY).as_dict()
    assert result == pytest.approx(
        {
            "n_users_evaluated": 3.0,
            "precision_at_3": precision_at_k(RECOMMENDATIONS, RELEVANT, K),
            "recall_at_3": recall_at_k(RECOMMENDATIONS, RELEVANT, K),
            "ndcg_at_3": ndcg_at_k(RECOMMENDATIONS, RELEVANT, K),
            "map_at_3": map_at_k(RECOMMENDATIONS, RELEVANT, K),
            "catalog_coverage_at_3": 3 / 8,
            "popularity_percentile_at_3": (0.9375 + 0.75 + 0.75) / 3,
        }
    )


def test_holdout_relevance_keeps_only_creators_new_to_the_user() -> None:
    holdout = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3],
            "creator_id": [10, 20, 10, 30],
            "seen_in_train": [True, False, False, False],
        }
    )
    relevant = holdout_relevance(holdout, user_ids=[1, 2])
    assert sorted(relevant.itertuples(index=False, name=None)) == [(1, 20), (2, 10)]


BOOTSTRAP = Bootstrap(resamples=1_000, confidence=0.95, seed=7)


def test_per_user_ndcg_averages_to_the_reported_ndcg() -> None:
    values = per_user_ndcg(RECOMMENDATIONS, RELEVANT, K)

    assert len(values) == 3
    assert values.mean() == pytest.approx(ndcg_at_k(RECOMMENDATIONS, RELEVANT, K))


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_users() -> None:
    rng = np.random.default_rng(0)
    few, many = rng.random(50), rng.random(5_000)

    low_few, high_few = bootstrap_interval(few, BOOTSTRAP)
    low_many, high_many = bootstrap_interval(many, BOOTSTRAP)

    assert low_few < few.mean() < high_few
    assert low_many < many.mean() < high_many
    assert high_many - low_many < (high_few - low_few) / 5  # ~ 1 / sqrt(100)


def test_bootstrap_interval_is_the_same_for_the_same_seed() -> None:
    values = np.random.default_rng(1).random(200)

    assert bootstrap_interval(values, BOOTSTRAP) == bootstrap_interval(values, BOOTSTRAP)
    assert bootstrap_interval(values, BOOTSTRAP) != bootstrap_interval(
        values, Bootstrap(1_000, 0.95, seed=8)
    )


def test_bootstrap_interval_of_identical_values_has_no_width_and_of_none_is_nan() -> None:
    assert bootstrap_interval(np.full(30, 0.25), BOOTSTRAP) == pytest.approx((0.25, 0.25))
    assert all(np.isnan(bootstrap_interval(np.empty(0), BOOTSTRAP)))


def test_evaluate_with_a_bootstrap_reports_the_ndcg_interval_beside_it() -> None:
    result = evaluate(RECOMMENDATIONS, RELEVANT, K, 8, ITEM_POPULARITY, BOOTSTRAP).as_dict()

    assert result["ndcg_at_3_ci_low"] <= result["ndcg_at_3"] <= result["ndcg_at_3_ci_high"]
    assert (result["ndcg_at_3_ci_low"], result["ndcg_at_3_ci_high"]) == pytest.approx(
        bootstrap_interval(per_user_ndcg(RECOMMENDATIONS, RELEVANT, K), BOOTSTRAP)
    )
