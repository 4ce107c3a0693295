"""Batch queries at scale: threads change nothing but speed; search_k is chosen by measured recall
per cost and kept with the index, so the tables and the recall check query alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recsys.serving.ann import (
    QUERY_CHUNK,
    AnnIndex,
    RecallCheck,
    build_index,
    choose_search_k,
    recall_at_k,
    self_recall,
)

N_ITEMS, DIM, K = 2_000, 32, 10
CANDIDATES = (10, 30, 100, 300, 1_000, 3_000)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    rng = np.random.default_rng(21)
    centres = rng.normal(size=(40, DIM))
    members = centres[rng.integers(0, 40, N_ITEMS)] + 0.5 * rng.normal(size=(N_ITEMS, DIM))
    return members.astype(np.float32)


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    return np.arange(N_ITEMS, dtype=np.int64) * 5 + 300


@pytest.fixture(scope="module")
def index(vectors: np.ndarray, ids: np.ndarray) -> AnnIndex:
    return build_index(vectors, ids, "angular", n_trees=5, seed=3)


@pytest.mark.parametrize("metric", ["angular", "inner_product"])
@pytest.mark.parametrize("threads", [2, 3])
def test_a_threaded_batch_returns_exactly_the_sequential_ids_and_scores(
    metric: str, threads: int, vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, metric, n_trees=5, seed=3)
    queries = vectors[: 3 * QUERY_CHUNK + 17]  # several chunks and a short last one

    sequential = index.query_many(queries, K + 1, search_k=200)
    threaded = index.query_many(queries, K + 1, search_k=200, threads=threads)

    np.testing.assert_array_equal(threaded[0], sequential[0])
    np.testing.assert_array_equal(threaded[1], sequential[1])


def test_the_chooser_picks_the_cheapest_search_k_that_meets_the_threshold(
    index: AnnIndex, vectors: np.ndarray
) -> None:
    every = choose_search_k(
        index, vectors, K, 0.95, 300, seed=1, candidates=CANDIDATES, measure_all=True
    )
    recalls = {t.search_k: t.recall for t in every.trials}
    cheapest = min(s for s, r in recalls.items() if r >= 0.95)

    choice = choose_search_k(index, vectors, K, 0.95, 300, seed=1, candidates=CANDIDATES)

    assert recalls[CANDIDATES[0]] < 0.95 and cheapest < CANDIDATES[-1]  # a real choice
    assert choice.met and choice.search_k == cheapest
    # Measuring stops at the first search_k that meets the threshold.
    assert [t.search_k for t in choice.trials] == [s for s in CANDIDATES if s <= cheapest]
    assert "cheapest" in choice.reason


def test_when_no_search_k_meets_the_threshold_the_chooser_takes_the_largest_and_says_so(
    index: AnnIndex, vectors: np.ndarray
) -> None:
    choice = choose_search_k(index, vectors, K, 1.01, 200, seed=1, candidates=CANDIDATES[:3])

    assert not choice.met
    assert choice.search_k == CANDIDATES[2]
    assert [t.search_k for t in choice.trials] == list(CANDIDATES[:3])
    assert choice.reason.startswith("no search_k tried reached recall@10 1.01")
    assert choice.as_dict()["met"] is False


def test_the_chooser_refuses_an_index_that_searches_exactly(
    vectors: np.ndarray, ids: np.ndarray
) -> None:
    exact = build_index(vectors, ids, "angular", 2, 3, exact_below_items=5_000)

    with pytest.raises(ValueError, match="searches exactly"):
        choose_search_k(exact, vectors, K, 0.95, 100, seed=1)


def test_the_chosen_search_k_is_kept_in_the_sidecar_and_the_recall_check_queries_with_it(
    tmp_path: Path, vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, "angular", n_trees=5, seed=3)
    choice = choose_search_k(index, vectors, K, 0.95, 300, seed=1, candidates=CANDIDATES)
    index.search_k, index.search_choice = choice.search_k, choice.as_dict()
    index.save(tmp_path / "posts")

    loaded = AnnIndex.load(tmp_path / "posts")
    check = RecallCheck(sample=300)

    assert loaded.search_k == choice.search_k
    assert loaded.search_choice == choice.as_dict()
    chosen = choice.search_k
    with_choice = recall_at_k(loaded, vectors, vectors, K, check.sample, check.seed, chosen)
    at_smallest = recall_at_k(loaded, vectors, vectors, K, check.sample, check.seed, CANDIDATES[0])
    assert self_recall(loaded, check) == with_choice != at_smallest
    assert f"search_k {choice.search_k:,}" in loaded.search_description


def test_vectors_of_returns_the_vectors_of_the_ids_given_and_names_an_unknown_one(
    index: AnnIndex, vectors: np.ndarray, ids: np.ndarray
) -> None:
    np.testing.assert_array_equal(index.vectors_of(ids[[7, 2, 1_999]]), vectors[[7, 2, 1_999]])
    assert index.vectors_of(np.array([], dtype=np.int64)).shape == (0, DIM)
    with pytest.raises(KeyError, match="item 301 is not in the index"):
        index.vectors_of(np.array([ids[0], 301]))
