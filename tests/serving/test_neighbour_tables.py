"""Similar-item tables: never the item itself, at most n per item, ranked by score; similar posts
for exactly the posts a feed can show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.serving.ann import build_index
from recsys.serving.inputs import feed_eligible_post_ids, in_feed_window
from recsys.serving.invariants import rank_problems
from recsys.serving.neighbour_tables import similar_items_table, similar_posts_table
from recsys.serving.user_tables import _recent_posts

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


def test_the_table_queried_on_threads_equals_the_table_queried_on_one() -> None:
    many = np.random.default_rng(12).normal(size=(900, 8)).astype(np.float32)  # several chunks
    index = build_index(many, np.arange(900, dtype=np.int64) * 2 + 1, "angular", 5, seed=1)

    one = similar_items_table(index, N, "post_id", "similar_post_id", threads=1)
    two = similar_items_table(index, N, "post_id", "similar_post_id", threads=2)

    pd.testing.assert_frame_equal(one, two)


def test_similar_posts_covers_exactly_the_posts_a_feed_can_show(vectors: np.ndarray) -> None:
    as_of = pd.Timestamp("2026-10-01 12:00")
    ages = {500: 0.0, 503: 0.5, 506: 6.99, 509: 7.0, 512: 7.01, 515: 30.0, 518: -0.1}
    posts = pd.DataFrame(
        {
            "post_id": list(ages),
            "creator_id": 1,
            "published_at": [as_of - pd.Timedelta(days=age) for age in ages.values()],
        }
    )
    index = build_index(vectors, IDS, "angular", n_trees=10, seed=1)

    eligible = posts.loc[in_feed_window(posts["published_at"], as_of, 7.0), "post_id"]
    table = similar_posts_table(index, eligible.to_numpy(), N)

    assert set(table["post_id"]) == {500, 503, 506, 509}
    # The same posts the feed draws from: what a reader can open from a feed has neighbours.
    assert set(table["post_id"]) == set(_recent_posts(posts, as_of, 7.0, 2.0)["post_id"])
    assert (table.groupby("post_id").size() == N).all()


def test_feed_eligible_posts_are_read_as_of_the_latest_event() -> None:
    import duckdb

    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
    conn.execute("CREATE TABLE staging.stg_events AS SELECT TIMESTAMP '2026-10-08' AS event_at")
    conn.execute(
        "CREATE TABLE marts.post_features AS SELECT * FROM (VALUES "
        "(1, TIMESTAMP '2026-09-30'), (2, TIMESTAMP '2026-10-01'), (3, TIMESTAMP '2026-10-07'), "
        "(4, TIMESTAMP '2026-10-09')) AS t(post_id, published_at)"
    )

    assert sorted(feed_eligible_post_ids(conn, 7.0).tolist()) == [2, 3]


def test_posts_not_in_the_index_are_left_out_of_similar_posts(vectors: np.ndarray) -> None:
    index = build_index(vectors, IDS, "angular", n_trees=10, seed=1)

    table = similar_posts_table(index, np.array([IDS[0], 1, IDS[1]]), N)

    assert set(table["post_id"]) == {IDS[0], IDS[1]}
