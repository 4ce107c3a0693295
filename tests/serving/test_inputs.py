"""The tables' inputs: bots are not served, only active subscriptions exclude, the feed's now."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from recsys.serving.inputs import read_creator_inputs, read_feed_inputs, served_users


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for schema in ("staging", "marts"):
        conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(
        "CREATE TABLE marts.user_features AS "
        "SELECT * FROM (VALUES (1, false), (2, true), (3, false)) v(user_id, is_bot)"
    )
    conn.execute(
        "CREATE TABLE staging.stg_subscriptions AS SELECT * FROM "
        "(VALUES (1, 10, true), (1, 20, false), (3, 30, true)) v(user_id, creator_id, is_active)"
    )
    conn.execute("CREATE TABLE marts.creator_features AS SELECT 10 AS creator_id, 5 AS n_posts")
    conn.execute(
        "CREATE TABLE marts.post_features AS SELECT 100 AS post_id, 10 AS creator_id, "
        "TIMESTAMP '2026-10-01 08:00' AS published_at, 4 AS n_distinct_readers, 'x' AS title"
    )
    conn.execute(
        "CREATE TABLE staging.stg_events AS SELECT * FROM (VALUES "
        "(1, 100, TIMESTAMP '2026-10-01 09:00'), (1, 100, TIMESTAMP '2026-10-02 09:00'), "
        "(3, 100, TIMESTAMP '2026-10-03 07:30')) v(user_id, post_id, event_at)"
    )
    return conn


def test_bots_are_not_served(conn: duckdb.DuckDBPyConnection) -> None:
    assert sorted(served_users(conn).tolist()) == [1, 3]


def test_only_active_subscriptions_are_excluded_from_user_creators(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    inputs = read_creator_inputs(conn)

    pairs = set(inputs.subscribed.itertuples(index=False, name=None))
    assert pairs == {(1, 10), (3, 30)}
    assert inputs.creators["creator_id"].tolist() == [10]


def test_the_feed_is_built_as_of_the_latest_event_and_knows_each_opened_post_once(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    inputs = read_feed_inputs(conn)

    assert inputs.as_of == pd.Timestamp("2026-10-03 07:30")
    assert sorted(inputs.seen.itertuples(index=False, name=None)) == [(1, 100), (3, 100)]
    assert list(inputs.posts.columns) == [
        "post_id",
        "creator_id",
        "published_at",
        "n_distinct_readers",
    ]
