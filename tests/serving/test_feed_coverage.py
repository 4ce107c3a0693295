"""The user -> posts coverage rule: it judges the users who have fresh posts to see."""

from __future__ import annotations

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
NO_OPENS = pd.DataFrame({"user_id": pd.Series(dtype="int64"), "post_id": pd.Series(dtype="int64")})


def candidates(pairs: dict[int, list[int]]) -> pd.DataFrame:
    rows = [(user, creator) for user, creators in pairs.items() for creator in creators]
    return pd.DataFrame(rows, columns=["user_id", "creator_id"])


def test_posts_within_keeps_the_window_up_to_the_latest_event() -> None:
    assert posts_within(POSTS, AS_OF, 7.0)["post_id"].tolist() == [100, 200]
    assert posts_within(POSTS, AS_OF, 2.0)["post_id"].tolist() == [100]


def test_a_known_user_whose_creators_posted_nothing_fresh_is_not_judged() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    # User 1 may be shown creators 10 and 30; user 2 only creator 30, which posted long ago.
    may_see = candidates({1: [10, 30], 2: [30]})

    users = users_with_fresh_posts(may_see, np.array([]), fresh, NO_OPENS)

    assert users.tolist() == [1]


def test_a_user_who_opened_every_fresh_post_of_their_creators_is_not_judged() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)
    opened = pd.DataFrame({"user_id": [1], "post_id": [100]})

    users = users_with_fresh_posts(candidates({1: [10], 2: [10]}), np.array([]), fresh, opened)

    assert users.tolist() == [2]


def test_a_cold_user_has_something_to_see_whenever_any_post_is_fresh() -> None:
    fresh = posts_within(POSTS, AS_OF, 7.0)

    users = users_with_fresh_posts(candidates({}), np.array([7, 8]), fresh, NO_OPENS)

    assert sorted(users.tolist()) == [7, 8]


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
