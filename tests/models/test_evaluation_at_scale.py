"""Evaluation at scale: a seeded user sample, a float32 oracle, vectorized popularity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.evaluation import previous_popular, write_synthetic_truth
from recsys.datagen.truth import CREATORS_FILE, USER_TOPICS_FILE, true_affinity
from recsys.models.evaluation import Bootstrap, UserSample, bootstrap_interval, sample_users
from recsys.models.gate_rule import ALS_GATE
from recsys.models.oracle import oracle_recommendations
from recsys.models.popularity import popular_items, recommend_popular

K = 10


def test_the_sample_is_the_same_for_a_seed_whatever_the_order_of_the_ids() -> None:
    users = np.arange(1, 50_001, dtype=np.int64)
    shuffled = np.random.default_rng(3).permutation(np.concatenate([users, users[:100]]))

    first = sample_users(users, UserSample(1_000, seed=7))

    assert len(first) == 1_000 == len(np.unique(first))
    assert np.isin(first, users).all()
    assert np.array_equal(first, sample_users(shuffled, UserSample(1_000, seed=7)))
    assert not np.array_equal(first, sample_users(users, UserSample(1_000, seed=8)))


def test_below_the_cap_every_user_is_judged() -> None:
    users = np.array([5, 3, 9, 3, 1], dtype=np.int64)

    assert sample_users(users, UserSample(4, seed=7)).tolist() == [1, 3, 5, 9]
    assert sample_users(users, None).tolist() == [1, 3, 5, 9]
    # The demo judges 19,641 users: the default cap keeps every one of them.
    demo = np.arange(19_641)
    assert np.array_equal(sample_users(demo, ALS_GATE.user_sample()), demo)


def test_the_interval_narrows_as_the_sample_grows() -> None:
    # Per-user nDCG of a large platform: mostly 0, some hits, mean about 0.2.
    rng = np.random.default_rng(0)
    users = np.arange(1, 200_001, dtype=np.int64)
    ndcg = np.where(rng.random(len(users)) < 0.3, rng.random(len(users)) * 0.7, 0.0)
    bootstrap = Bootstrap(500, 0.95, 7)

    widths = []
    for cap in (500, 5_000, 50_000):
        judged = sample_users(users, UserSample(cap, seed=7))
        low, high = bootstrap_interval(ndcg[judged - 1], bootstrap)
        assert low < ndcg.mean() < high
        widths.append(high - low)

    # The width goes as 1 / sqrt(users): 10x the users, about a third of the width.
    assert widths[1] < widths[0] / 2.5 and widths[2] < widths[1] / 2.5


def _float64_top_sets(
    truth: Path, user_ids: np.ndarray, creator_ids: np.ndarray, seen: pd.DataFrame
) -> dict[int, frozenset[int]]:
    """Top-K sets by the generator's own float64 affinity (recsys.datagen.truth), user by user."""
    creators = pd.read_parquet(truth / CREATORS_FILE).set_index("creator_id").loc[creator_ids]
    prefs = pd.read_parquet(truth / USER_TOPICS_FILE)
    tastes = {
        user: dict(zip(group["topic"], group["weight"], strict=True))
        for user, group in prefs.groupby("user_id")
    }
    seen_by_user = seen.groupby("user_id")["creator_id"].apply(set)
    top = {}
    for user in user_ids:
        affinity = true_affinity(
            tastes.get(user, {}),
            creators["topic"],
            creators["topic_share"],
            creators["global_share"],
        )
        order = creator_ids[np.argsort(-affinity, kind="stable")]
        allowed = [c for c in order if c not in seen_by_user.get(user, set())]
        top[int(user)] = frozenset(int(c) for c in allowed[:K])
    return top


def test_the_float32_oracle_picks_the_same_top_k_as_float64_affinity(tmp_path: Path) -> None:
    user_ids, creator_ids, seen = write_synthetic_truth(tmp_path, 300, 2_000, seed=5)
    # Candidates are the creators existing by the cutoff: leave some out.
    candidates = creator_ids[::3]

    oracle = oracle_recommendations(tmp_path, user_ids, K, candidates, seen)

    expected = _float64_top_sets(tmp_path, user_ids, candidates, seen)
    got = oracle.groupby("user_id")["creator_id"].apply(frozenset).to_dict()
    assert got == expected
    assert oracle["score"].dtype == np.float32
    assert oracle.groupby("user_id")["rank"].apply(list).map(list(range(1, K + 1)).__eq__).all()


def test_vectorized_popularity_equals_the_previous_dense_path_on_a_hand_built_case() -> None:
    popular = pd.DataFrame({"creator_id": [10, 30, 5, 20, 40], "n_users": [9, 7, 7, 3, 1]}).assign(
        rank=np.arange(1, 6, dtype=np.int32)
    )
    exclude = {
        1: [10],  # the head excluded
        2: [10, 30, 5, 20],  # all but the last: one creator left
        3: [10, 30, 5, 20, 40],  # everything: no rows
        4: [99, 40],  # an unknown creator is ignored
        6: [30, 20],  # gaps in the middle
    }
    users = np.array([6, 1, 2, 3, 4, 5, 1])  # a repeat; user 5 excludes nothing

    got = recommend_popular(popular, users, 3, exclude)

    assert got.equals(previous_popular(popular, users, 3, exclude))
    assert got[["user_id", "creator_id", "rank"]].values.tolist() == [
        [6, 10, 1], [6, 5, 2], [6, 40, 3],
        [1, 30, 1], [1, 5, 2], [1, 20, 3],
        [2, 40, 1],
        [4, 10, 1], [4, 30, 2], [4, 5, 3],
        [5, 10, 1], [5, 30, 2], [5, 5, 3],
    ]  # fmt: skip
    assert got["score"].tolist() == [9, 7, 1, 7, 7, 3, 1, 9, 7, 7, 9, 7, 7]


@pytest.mark.parametrize("n", [1, 10, 60])
def test_vectorized_popularity_equals_the_previous_dense_path_on_random_exclusions(n: int) -> None:
    rng = np.random.default_rng(n)
    seen = pd.DataFrame(
        {"user_id": rng.integers(1, 400, 6_000), "creator_id": rng.integers(1, 80, 6_000)}
    )
    popular = popular_items(seen)
    users = np.arange(1, 450)  # some users saw nothing

    got = recommend_popular(popular, users, n, seen)

    assert got.equals(previous_popular(popular, users, n, seen))


def test_popularity_for_no_users_is_an_empty_table() -> None:
    popular = pd.DataFrame({"creator_id": [1, 2], "n_users": [2, 1], "rank": [1, 2]})

    got = recommend_popular(popular, np.array([], dtype=np.int64), K, None)

    assert got.empty and list(got.columns) == ["user_id", "creator_id", "rank", "score"]
