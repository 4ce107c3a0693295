"""The user -> posts coverage rule: it judges the users who have fresh posts to see."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from recsys.serving.invariants import feed_coverage, posts_within, users_with_fresh_posts

AS_OF = pd.Timestamp("2026-10-15 12:00")
# Post 100 (creator 10) is fresh; post 200 (creator 20) is fresh; post 300 (creator 30) is old.
POSTS = pd.DataFrame(
    {
        "post_id": [100, 200, 300],
        "creator_id": [10, 20, 30],
        "published_at": pd.to_datetime(["2026-10-14", "2026-10-10", "2026-09-01"]),
    }
)


def warehouse(
    candidates: dict[int, list[int]], served: list[int], opened: list[tuple[int, int]] = ()
) -> duckdb.DuckDBPyConnection:
    """The tables the rule reads: served users, their best-matching creators, their events."""
    conn = duckdb.connect()
    for schema in ("marts", "staging", "recommendations"):
        conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute("CREATE TABLE marts.user_features (user_id BIGINT, is_bot BOOLEAN)")
    conn.executemany("INSERT INTO marts.user_features VALUES (?, false)", [[u] for u in served])
    conn.execute("CREATE TABLE recommendations.feed_creators (user_id BIGINT, creator_id BIGINT)")
    pairs = [[user, creator] for user, creators in candidates.items() for creator in creators]
    if pairs:
        conn.executemany("INSERT INTO recommendations.feed_creators VALUES (?, ?)", pairs)
    conn.execute("CREATE TABLE staging.stg_events (user_id BIGINT, post_id BIGINT)")
    if opened:
        conn.executemany("INSERT INTO staging.stg_events VALUES (?, ?)", [list(o) for o in opened])
    return conn


def test_posts_within_keeps_the_window_up_to_the_latest_event() -> None:
    assert posts_within(POSTS, AS_OF, 7.0)["post_id"].tolist() == [100, 200]
    assert posts_within(POSTS, AS_OF, 2.0)["post_id"].tolist() == [100]


def test_a_known_user_whose_creators_posted_nothing_fresh_is_not_judged() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    # User 1 may be shown creators 10 and 30; user 2 only creator 30, which posted long ago.
    conn = warehouse({1: [10, 30], 2: [30]}, served=[1, 2])

    assert users_with_fresh_posts(conn, fresh).tolist() == [1]


def test_a_user_who_opened_every_fresh_post_of_their_creators_is_not_judged() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    conn = warehouse({1: [10], 2: [10]}, served=[1, 2], opened=[(1, 100)])

    assert users_with_fresh_posts(conn, fresh).tolist() == [2]


def test_a_cold_user_has_something_to_see_until_they_opened_every_fresh_post() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    # No best-matching creators: users 7, 8 and 9 get the fallback feed, drawn from any creator.
    conn = warehouse({}, served=[7, 8, 9], opened=[(8, 100), (9, 100), (9, 200)])

    assert users_with_fresh_posts(conn, fresh).tolist() == [7, 8]


def test_bots_are_not_judged() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    conn = warehouse({1: [10]}, served=[1])
    conn.execute("INSERT INTO marts.user_features VALUES (5, true)")

    assert users_with_fresh_posts(conn, fresh).tolist() == [1]


def test_coverage_is_judged_over_the_users_with_fresh_posts_not_all_users() -> None:
    table = pd.DataFrame({"user_id": [1, 1]})

    result = feed_coverage(table, np.array([1]), users_served=1_000, fresh_posts=2, window_days=7)

    assert result.share == 1.0 and result.users_judged == 1 and not result.warn
    assert "of the 1 users with an unopened post from the last 7 days" in result.reason


def test_a_user_with_fresh_posts_but_no_feed_lowers_coverage() -> None:
    table = pd.DataFrame({"user_id": [1]})

    result = feed_coverage(table, np.array([1, 2]), users_served=2, fresh_posts=2, window_days=7)

    assert result.share == pytest.approx(0.5)


def test_an_empty_freshness_window_is_a_warning_with_its_reason() -> None:
    empty = pd.DataFrame({"user_id": pd.Series(dtype="int64")})

    result = feed_coverage(empty, np.array([]), users_served=500, fresh_posts=0, window_days=7)

    assert result.warn
    assert result.users_judged == 0
    assert result.reason.startswith("no post was published in the 7 days up to the latest event")
