"""What was served is kept by serving day: the top of each reader table, as it went out."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from recsys.monitoring.served import (
    SERVED_HISTORY,
    ServedPolicy,
    keep_served,
    served_copy_for,
    served_days,
    serving_day,
)

DAY = dt.date(2026, 10, 10)


def serve(conn: duckdb.DuckDBPyConnection, readers: int, lists: int, version: int) -> None:
    """Reader tables of `lists` ranks for readers 0..readers-1, items offset by the version."""
    rows = pd.DataFrame(
        [(u, version * 100 + r, r, version) for u in range(readers) for r in range(1, lists + 1)],
        columns=["user_id", "item", "rank", "model_version"],
    )
    conn.register("rows", rows)
    conn.execute("CREATE SCHEMA IF NOT EXISTS recommendations")
    for table, item in (
        ("user_creators", "creator_id"),
        ("user_posts", "post_id"),
        ("notification_candidates", "post_id"),
    ):
        conn.execute(
            f"CREATE OR REPLACE TABLE recommendations.{table} AS "
            f"SELECT user_id, item AS {item}, rank, model_version FROM rows"
        )


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def kept(conn: duckdb.DuckDBPyConnection, day: dt.date, table: str) -> pd.DataFrame:
    return conn.execute(
        f"SELECT user_id, item_id, rank, model_version FROM {SERVED_HISTORY} "
        "WHERE served_on = ? AND table_name = ? ORDER BY user_id, rank",
        [day, table],
    ).df()


def test_tables_built_on_a_day_of_events_serve_from_the_next_day() -> None:
    assert serving_day(dt.datetime(2026, 10, 9, 23, 59)) == DAY
    assert serving_day(dt.datetime(2026, 10, 9, 0, 0)) == DAY


def test_the_top_ranks_of_each_reader_table_are_kept_under_their_serving_day(conn) -> None:
    serve(conn, readers=3, lists=20, version=4)

    copy = keep_served(conn, DAY, ServedPolicy(kept_ranks=10))

    assert copy.rows == {"user_creators": 30, "user_posts": 30, "notification_candidates": 30}
    creators = kept(conn, DAY, "user_creators")
    assert creators["rank"].max() == 10
    assert set(creators["model_version"]) == {4}
    assert list(creators.loc[creators["user_id"] == 0, "item_id"]) == list(range(401, 411))


def test_copying_a_serving_day_again_replaces_it_and_keeps_other_days(conn) -> None:
    serve(conn, readers=3, lists=5, version=1)
    keep_served(conn, DAY - dt.timedelta(days=1))
    keep_served(conn, DAY)
    serve(conn, readers=2, lists=5, version=2)

    keep_served(conn, DAY)

    assert set(kept(conn, DAY, "user_posts")["model_version"]) == {2}
    assert kept(conn, DAY, "user_posts")["user_id"].nunique() == 2
    assert set(kept(conn, DAY - dt.timedelta(days=1), "user_posts")["model_version"]) == {1}


def test_a_day_is_served_the_newest_copy_from_that_day_or_before(conn) -> None:
    assert served_copy_for(conn, DAY) is None
    serve(conn, readers=2, lists=3, version=1)
    keep_served(conn, DAY - dt.timedelta(days=3))
    keep_served(conn, DAY)

    assert served_copy_for(conn, DAY - dt.timedelta(days=4)) is None
    assert served_copy_for(conn, DAY - dt.timedelta(days=1)) == DAY - dt.timedelta(days=3)
    assert served_copy_for(conn, DAY) == DAY
    assert served_copy_for(conn, DAY + dt.timedelta(days=5)) == DAY
    assert served_days(conn) == [DAY - dt.timedelta(days=3), DAY]


def test_above_the_panel_size_the_same_readers_are_kept_every_day(conn) -> None:
    serve(conn, readers=2_000, lists=2, version=1)

    first = keep_served(conn, DAY, ServedPolicy(panel_readers=500))
    keep_served(conn, DAY + dt.timedelta(days=1), ServedPolicy(panel_readers=500))
    keep_served(conn, DAY + dt.timedelta(days=2), ServedPolicy(panel_readers=1_000))

    panels = [
        set(kept(conn, DAY + dt.timedelta(days=i), "user_creators")["user_id"]) for i in range(3)
    ]
    assert first.panel_share == 0.25
    assert 400 < len(panels[0]) < 600
    assert panels[0] == panels[1]
    assert panels[0] < panels[2]


def test_copies_older_than_the_kept_days_are_dropped(conn) -> None:
    serve(conn, readers=2, lists=2, version=1)
    for back in (40, 30, 0):
        keep_served(conn, DAY - dt.timedelta(days=back), ServedPolicy(keep_days=30))

    assert served_days(conn) == [DAY - dt.timedelta(days=30), DAY]
