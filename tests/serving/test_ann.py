"""Annoy indexes: inner product needs the extra-dimension transform; files must match sidecars."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from recsys.serving.ann import (
    AnnIndex,
    IndexParams,
    RecallCheck,
    build_index,
    exact_top_k,
    recall_at_k,
    self_recall,
)

N_ITEMS, DIM, K, TREES = 2_000, 32, 10, 25


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Random directions with norms spread over about an order of magnitude, like ALS factors."""
    rng = np.random.default_rng(5)
    norms = rng.lognormal(0.0, 0.5, size=(N_ITEMS, 1))
    return (rng.normal(size=(N_ITEMS, DIM)) * norms).astype(np.float32)


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return np.random.default_rng(6).normal(size=(200, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    # Ids unlike row numbers, so a mix-up between the two shows.
    return np.arange(N_ITEMS, dtype=np.int64) * 7 + 1_000


def overlap_at_k(found: np.ndarray, expected: np.ndarray) -> float:
    """Mean share of each row of `expected` that the same row of `found` holds."""
    shared = [len(np.intersect1d(f, e)) for f, e in zip(found, expected, strict=True)]
    return float(np.mean(shared)) / expected.shape[1]


def test_inner_product_index_ranks_like_exact_inner_product_where_plain_angular_does_not(
    vectors: np.ndarray, queries: np.ndarray, ids: np.ndarray
) -> None:
    transformed = build_index(vectors, ids, "inner_product", TREES, seed=1)
    plain = build_index(vectors, ids, "angular", TREES, seed=1)
    assert recall_at_k(transformed, queries, vectors, K, sample=200, seed=0) >= 0.95

    # Plain angular ranks by cosine: against the exact inner-product top 10 it finds few.
    exact_rows, exact_scores = exact_top_k(vectors, queries, K, "inner_product")
    found, _ = plain.query_many(queries, K)
    assert overlap_at_k(found, ids[exact_rows]) < 0.5

    found, scores = transformed.query_many(queries[:5], K)
    np.testing.assert_allclose(scores, exact_scores[:5], rtol=1e-4)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_angular_index_recall_against_exact_cosine(
    vectors: np.ndarray, queries: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, "angular", TREES, seed=1)
    assert recall_at_k(index, queries, vectors, K, sample=200, seed=0) >= 0.95
    found, scores = index.query(queries[0], K)
    _, exact_scores = exact_top_k(vectors, queries[:1], K, "angular")
    assert found.shape == (K,) and np.all(scores <= 1.0 + 1e-6)
    np.testing.assert_allclose(scores[:3], exact_scores[0, :3], rtol=1e-4)


@pytest.mark.parametrize("metric", ["angular", "inner_product"])
def test_save_and_load_round_trip_returns_the_same_results(
    metric: str, vectors: np.ndarray, queries: np.ndarray, ids: np.ndarray, tmp_path: Path
) -> None:
    index = build_index(vectors, ids, metric, 10, seed=3, search_k=500)
    before = index.query_many(queries[:20], K)
    index.save(tmp_path / "items")
    loaded = AnnIndex.load(tmp_path / "items")
    after = loaded.query_many(queries[:20], K)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    sidecar = json.loads((tmp_path / "items.json").read_text())
    assert sidecar["metric"] == metric
    assert sidecar["dimension"] == DIM
    assert sidecar["indexed_dimension"] == DIM + (metric == "inner_product")
    assert (sidecar["n_trees"], sidecar["search_k"], sidecar["seed"]) == (10, 500, 3)
    np.testing.assert_array_equal(loaded.ids, ids)


def test_load_refuses_a_sidecar_of_another_dimension_naming_the_file(
    vectors: np.ndarray, ids: np.ndarray, tmp_path: Path
) -> None:
    build_index(vectors, ids, "angular", 5, seed=1).save(tmp_path / "wide")
    build_index(vectors[:, :16], ids, "angular", 5, seed=1).save(tmp_path / "narrow")
    shutil.copy(tmp_path / "narrow.json", tmp_path / "wide.json")
    with pytest.raises(ValueError, match=r"wide\.ann.*dimension=16"):
        AnnIndex.load(tmp_path / "wide")


def test_load_refuses_a_sidecar_of_another_metric(
    vectors: np.ndarray, ids: np.ndarray, tmp_path: Path
) -> None:
    # Same indexed dimension (32) either way: only the stored vectors tell the two apart.
    build_index(vectors, ids, "angular", 5, seed=1).save(tmp_path / "cosine")
    build_index(vectors[:, :31], ids, "inner_product", 5, seed=1).save(tmp_path / "dot")
    shutil.copy(tmp_path / "dot.json", tmp_path / "cosine.json")
    with pytest.raises(ValueError, match=r"cosine\.ann.*metric=inner_product"):
        AnnIndex.load(tmp_path / "cosine")


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.ann"):
        AnnIndex.load(tmp_path / "nothing")


@pytest.mark.parametrize("metric", ["angular", "inner_product"])
def test_similar_items_never_returns_the_item_itself(
    metric: str, vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, metric, 10, seed=2)
    for item_id in ids[:50]:
        similar, scores = index.similar_items(int(item_id), K)
        assert len(similar) == K and item_id not in similar
        assert np.all(np.diff(scores) <= 0)


def test_queries_ask_annoy_for_ten_times_its_default_search_k(
    vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, "angular", 4, seed=1)
    assert index.search_k_for(K) == 4 * K * 10
    assert index.search_k_for(K, 123) == 123
    assert build_index(vectors, ids, "angular", 4, seed=1, search_k=77).search_k_for(K) == 77


def test_vectors_returns_every_item_vector_in_index_order() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    index = build_index(vectors, np.arange(100, 150), "angular", n_trees=5, seed=1)

    np.testing.assert_allclose(index.vectors(), vectors, rtol=1e-6)
    np.testing.assert_allclose(index.vectors()[7], index.vector(107))


def test_building_an_index_reports_its_progress() -> None:
    rng = np.random.default_rng(0)
    lines: list[str] = []

    build_index(rng.normal(size=(50, 4)), np.arange(50), "angular", 2, 0, progress=lines.append)

    assert lines[0].startswith("added 5/50 items (")
    assert sum(line.startswith("added") for line in lines) == 10
    assert lines[-2] == "building 2 trees" and lines[-1].startswith("built in")


def test_an_index_built_with_the_default_params_passes_the_default_recall_check(
    vectors: np.ndarray, ids: np.ndarray
) -> None:
    params, check = IndexParams(), RecallCheck()
    index = build_index(vectors, ids, "angular", params.n_trees, params.seed, params.search_k)

    assert self_recall(index, check) >= check.min_recall


@pytest.mark.parametrize("metric", ["angular", "inner_product"])
def test_an_index_below_its_exact_threshold_returns_the_exact_top_k(
    metric: str, vectors: np.ndarray, queries: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, metric, 2, 7, exact_below_items=N_ITEMS + 1)

    found, scores = index.query_many(queries, K)
    rows, exact_scores = exact_top_k(vectors, queries, K, metric)

    assert index.exact
    np.testing.assert_array_equal(found, ids[rows])
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-5)


def test_an_exact_index_has_recall_one_and_says_it_searches_exactly(
    vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, "angular", 1, 7, exact_below_items=5_000)

    assert self_recall(index, RecallCheck()) == 1.0
    assert index.search_description == "exact search: 2,000 items below the threshold of 5,000"


def test_an_index_at_its_exact_threshold_searches_with_annoy(
    vectors: np.ndarray, ids: np.ndarray
) -> None:
    index = build_index(vectors, ids, "angular", TREES, 7, exact_below_items=N_ITEMS)

    assert not index.exact
    assert index.search_description.startswith("annoy: 25 trees")


def test_the_default_params_search_small_catalogs_exactly() -> None:
    assert IndexParams().exact_below_items == 5_000


def test_exact_search_survives_save_and_load(
    tmp_path: Path, vectors: np.ndarray, ids: np.ndarray
) -> None:
    build_index(vectors, ids, "angular", 1, 7, exact_below_items=5_000).save(tmp_path / "idx")

    loaded = AnnIndex.load(tmp_path / "idx")

    assert loaded.exact
    found, _ = loaded.similar_items(int(ids[0]), K)
    rows, _ = exact_top_k(vectors, vectors[:1], K + 1, "angular")
    np.testing.assert_array_equal(found, ids[rows[0][1:]])
