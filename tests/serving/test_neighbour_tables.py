"""Similar-item tables: never the item itself, at most n per item, ranked by score."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.serving.ann import build_index
from recsys.serving.invariants import rank_problems
from recsys.serving.neighbour_tables import similar_items_table

N = 5


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return np.random.default_rng(11).normal(size=(40, 8)).astype(np.float32)


# Ids unlike row numbers, so a mix-up between the two shows.
IDS = np.arange(40, dtype=np.int64) * 3 + 500


@pytest.mark.parametrize("metric", ["angular", "inner_product"])
def test_an_item_is_never_its_own_neighbour(metric: str, vectors: np.ndarray) -> None:
    index = build_index(vectors, IDS, metric, n_trees=10, seed=1)

    table = similar_items_table(index, N, "post_id", "similar_post_id")

    assert not (table["post_id"] == table["similar_post_id"]).any()
    assert set(table["post_id"]) == set(IDS)


def test_each_item_gets_n_neighbours_ranked_1_to_n_by_descending_score(
    vectors: np.ndarray,
) -> None:
    index = build_index(vectors, IDS, "angular", n_trees=10, seed=1)

    table = similar_items_table(index, N, "creator_id", "similar_creator_id")

    assert list(table.columns) == ["creator_id", "similar_creator_id", "rank", "score"]
    assert (table.groupby("creator_id").size() == N).all()
    assert rank_problems(table, "creator_id").ok
    first = table[table["creator_id"] == IDS[0]]
    assert first["rank"].tolist() == list(range(1, N + 1))
    assert np.all(np.diff(first["score"].to_numpy()) <= 0)


def test_the_ids_annoy_pads_short_results_with_are_dropped(vectors: np.ndarray) -> None:
    # Four items and ten neighbours asked: every query comes back padded with id -1.
    index = build_index(vectors[:4], IDS[:4], "angular", n_trees=5, seed=1)

    table = similar_items_table(index, 10, "post_id", "similar_post_id")

    assert (table["similar_post_id"] >= 0).all()
    assert table["score"].notna().all()
    assert (table.groupby("post_id").size() == 3).all()
    assert rank_problems(table, "post_id").ok
