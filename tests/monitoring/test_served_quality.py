"""Served quality: the lists served on a day, judged by that day's reading, beside popularity."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from recsys.monitoring.reading import popular_lists
from recsys.monitoring.served import keep_served
from recsys.monitoring.served_quality import (
    ScoringParams,
    quality_history,
    record_day,
    score_day,
    score_lists,
)

DAY = dt.date(2026, 10, 10)
IDEAL_2 = 1.0 + 1.0 / math.log2(3.0)


def lists(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rank"])


def pairs(rows: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


def test_a_hit_counts_by_its_rank_and_readers_without_relevant_items_are_not_judged() -> None:
    served = lists([(1, 10, 1), (1, 11, 2), (2, 10, 1), (3, 12, 1)])
    popular = lists([(1, 20, 1), (1, 11, 2), (2, 10, 1), (3, 20, 1)])
    relevant = pairs([(1, 11), (2, 30), (4, 10)])

    scores = score_lists(served, popular, relevant, k=10)

    # Readers 1 and 2 were served and read something; 3 read nothing, 4 was not served.
    assert scores.readers_judged == 2
    assert scores.hit_rate == pytest.approx(0.5)
    assert scores.ndcg == pytest.approx((1.0 / math.log2(3.0)) / 2)
    assert scores.popularity_hit_rate == pytest.approx(0.5)


def test_popularity_gets_as_many_slots_as_the_served_list_filled() -> None:
    served = lists([(1, 10, 1)])
    popular = lists([(1, 20, 1), (1, 21, 2), (1, 22, 3)])
    relevant = pairs([(1, 21)])

    scores = score_lists(served, popular, relevant, k=10)

    assert scores.popularity_hit_rate == 0.0
    assert scores.hit_rate == 0.0


def test_popular_lists_skip_what_a_reader_could_not_be_served() -> None:
    counts = pd.DataFrame({"item_id": [5, 6, 7, 8], "n_users": [9, 7, 7, 1]})

    popular = popular_lists(counts, pd.Series([1, 2]).to_numpy(), 2, pairs([(1, 5)]))

    assert popular[popular["user_id"] == 1]["item_id"].tolist() == [6, 7]
    assert popular[popular["user_id"] == 2]["item_id"].tolist() == [5, 6]


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    """Readers 1 and 2; creators 1-4 (creator c writes post 10c); lists served from Oct 9.

    Before the copy: readers 3-6 make creator 3 the most read, then creator 4; reader 1 opened
    post 40 and subscribes to creator 3; reader 2's subscription to creator 4 has ended. On Oct 10
    reader 1 reads posts 20 and 30 (first time) and 40 again; reader 2 reads post 10.
    """
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA staging")
    conn.execute("CREATE SCHEMA recommendations")
    conn.execute(
        "CREATE TABLE staging.stg_posts AS SELECT 10 * c AS post_id, c AS creator_id, "
        "TIMESTAMP '2026-10-07 08:00' AS published_at FROM range(1, 5) r(c)"
    )
    conn.execute(
        "CREATE TABLE staging.stg_subscriptions AS SELECT * FROM (VALUES "
        "(1, 3, TIMESTAMP '2026-10-01', NULL::TIMESTAMP), "
        "(2, 4, TIMESTAMP '2026-10-01', TIMESTAMP '2026-10-05')"
        ") v(user_id, creator_id, started_at, ended_at)"
    )
    events = [
        *[(u, 30, "2026-10-08 10:00") for u in (3, 4, 5, 6)],
        *[(u, 40, "2026-10-08 11:00") for u in (3, 4, 1)],
        (1, 20, "2026-10-10 09:00"),
        (1, 40, "2026-10-10 09:30"),
        (1, 30, "2026-10-10 10:00"),
        (2, 10, "2026-10-10 12:00"),
    ]
    conn.register("frame", pd.DataFrame(events, columns=["user_id", "post_id", "event_at"]))
    conn.execute(
        "CREATE TABLE staging.stg_events AS SELECT user_id, post_id, post_id // 10 AS creator_id, "
        "event_at::TIMESTAMP AS event_at, event_at::TIMESTAMP::DATE AS event_date FROM frame"
    )
    served = pd.DataFrame(
        [(1, 1, 1), (1, 2, 2), (2, 2, 1), (2, 4, 2)], columns=["user_id", "item", "rank"]
    )
    conn.register("served", served)
    conn.execute(
        "CREATE TABLE recommendations.user_creators AS "
        "SELECT user_id, item AS creator_id, rank, 3 AS model_version FROM served"
    )
    conn.execute(
        "CREATE TABLE recommendations.user_posts AS "
        "SELECT user_id, 10 * item AS post_id, rank, 3 AS model_version FROM served"
    )
    conn.execute(
        "CREATE TABLE recommendations.notification_candidates AS "
        "SELECT * FROM recommendations.user_posts WHERE rank = 1"
    )
    keep_served(conn, DAY - dt.timedelta(days=1))
    return conn


def by_table(scores: pd.DataFrame) -> dict[str, dict]:
    return {row["table_name"]: row for row in scores.to_dict("records")}


def test_the_day_is_judged_on_the_copy_that_served_it(warehouse) -> None:
    scores = by_table(score_day(warehouse, DAY))

    assert set(scores) == {"user_creators", "user_posts", "notification_candidates"}
    creators = scores["user_creators"]
    assert creators["served_on"] == DAY - dt.timedelta(days=1)
    assert creators["model_version"] == 3
    # Reader 1 read creators 2, 4 (post 40) and 3 (subscribed: not relevant); reader 2 creator 1.
    assert creators["readers_judged"] == 2
    assert creators["hit_rate"] == pytest.approx(0.5)
    assert creators["ndcg"] == pytest.approx((1.0 / math.log2(3.0)) / IDEAL_2 / 2)


def test_popularity_is_counted_before_the_copy_served_and_skips_subscriptions(warehouse) -> None:
    creators = by_table(score_day(warehouse, DAY))["user_creators"]

    # Reader 1's popular list: creator 4 alone (creator 3 is subscribed): a hit at rank 1.
    # Reader 2's: creator 3, then 4 (their subscription had ended): no hit.
    assert creators["popularity_hit_rate"] == pytest.approx(0.5)
    assert creators["popularity_ndcg"] == pytest.approx((1.0 / IDEAL_2) / 2)


def test_posts_are_judged_on_first_opens_and_popularity_skips_opened_posts(warehouse) -> None:
    posts = by_table(score_day(warehouse, DAY))["user_posts"]

    # Reader 1 opened posts 20 (served at rank 2) and 30 for the first time; post 40 again, so
    # it is not relevant. Reader 2 opened post 10, not served to them. Popularity: post 30, then
    # 40, which reader 1 had opened before the copy served: their list is post 30 alone, a hit.
    assert posts["readers_judged"] == 2
    assert posts["hit_rate"] == pytest.approx(0.5)
    assert posts["ndcg"] == pytest.approx((1.0 / math.log2(3.0)) / IDEAL_2 / 2)
    assert posts["popularity_hit_rate"] == pytest.approx(0.5)
    assert posts["popularity_ndcg"] == pytest.approx((1.0 / IDEAL_2) / 2)


def test_popularity_counts_only_the_days_of_its_window(warehouse) -> None:
    params = ScoringParams(popularity_days=0)

    creators = by_table(score_day(warehouse, DAY, params))["user_creators"]

    assert creators["popularity_hit_rate"] == 0.0


def test_nothing_is_judged_before_anything_was_served(warehouse) -> None:
    assert score_day(warehouse, DAY - dt.timedelta(days=2)).empty


def test_a_day_scored_again_replaces_its_rows(warehouse) -> None:
    scores = score_day(warehouse, DAY)
    record_day(warehouse, DAY, scores)
    record_day(warehouse, DAY, scores)
    earlier = DAY - dt.timedelta(days=1)
    record_day(warehouse, earlier, score_day(warehouse, earlier))

    history = quality_history(warehouse)

    assert len(history) == 6
    assert history.groupby("day").size().tolist() == [3, 3]
    # Nobody read on Oct 9: its lists were served, and nobody is judged on them.
    assert history.loc[history["day"] == pd.Timestamp(earlier), "readers_judged"].eq(0).all()


def test_scores_are_recorded_only_under_their_own_day(warehouse) -> None:
    with pytest.raises(ValueError, match="2026-10-10"):
        record_day(warehouse, DAY - dt.timedelta(days=1), score_day(warehouse, DAY))
