"""Recommendation tables: no leaks of subscribed or read items, fallbacks, contiguous ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.models.als import AlsFactors
from recsys.serving import user_tables
from recsys.serving.inputs import CreatorInputs
from recsys.serving.invariants import coverage, leaked_rows, rank_problems
from recsys.serving.top_n import top_n_per_group
from recsys.serving.user_tables import (
    SOURCE_FALLBACK,
    SOURCE_MODEL,
    FeedParams,
    fallback_creators,
    feed_creators,
    notification_candidates,
    user_creators,
    user_creators_table,
    user_posts,
)

AS_OF = pd.Timestamp("2026-10-15 00:00")


@pytest.fixture
def factors() -> AlsFactors:
    """Users 1 and 2 like creators 10 > 20 > 30 and 30 > 20 > 10; creator 40 scores low for all."""
    return AlsFactors(
        user_factors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        item_factors=np.array([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9], [0.05, 0.05]], np.float32),
        user_ids=np.array([1, 2]),
        item_ids=np.array([10, 20, 30, 40]),
    )


@pytest.fixture
def posts() -> pd.DataFrame:
    rows = [
        (100, 10, AS_OF - pd.Timedelta(hours=3)),
        (101, 10, AS_OF - pd.Timedelta(days=3)),
        (102, 10, AS_OF - pd.Timedelta(days=30)),
        (200, 20, AS_OF - pd.Timedelta(hours=5)),
        (300, 30, AS_OF - pd.Timedelta(hours=1)),
        (301, 30, AS_OF - pd.Timedelta(hours=2)),
        (400, 40, AS_OF - pd.Timedelta(hours=4)),
    ]
    frame = pd.DataFrame(rows, columns=["post_id", "creator_id", "published_at"])
    return frame.assign(n_distinct_readers=[5, 1, 50, 2, 9, 0, 1])


def test_subscribed_creators_are_never_recommended(factors: AlsFactors) -> None:
    subscribed = pd.DataFrame({"user_id": [1, 2], "creator_id": [10, 30]})

    table = user_creators(factors, np.array([1, 2]), subscribed, np.array([10, 20]), n=3)

    assert leaked_rows(table, subscribed, ["user_id", "creator_id"]).empty
    assert table[table["user_id"] == 1]["creator_id"].tolist() == [20, 30, 40]
    assert set(table["source"]) == {SOURCE_MODEL}


def test_users_without_history_get_the_fallback_minus_their_subscriptions(
    factors: AlsFactors,
) -> None:
    subscribed = pd.DataFrame({"user_id": [99], "creator_id": [20]})

    table = user_creators(factors, np.array([99]), subscribed, np.array([20, 40, 10]), n=2)

    assert table["creator_id"].tolist() == [40, 10]
    assert table["rank"].tolist() == [1, 2]
    assert set(table["source"]) == {SOURCE_FALLBACK}


def test_the_fallback_interleaves_popular_and_new_creators() -> None:
    creators = pd.DataFrame(
        {
            "creator_id": [1, 2, 3, 4],
            "n_distinct_readers_recent": [100, 50, 0, 10],
            "n_distinct_readers": [500, 300, 0, 20],
            "n_posts": [10, 10, 2, 0],
            "created_at": pd.to_datetime(["2020-01-01", "2021-01-01", "2026-10-10", "2026-10-14"]),
        }
    )

    # Creator 4 is the newest but has not posted yet, so 3 is the fresh pick.
    assert fallback_creators(creators, n=3).tolist() == [1, 3, 2]


def test_a_cold_user_subscribed_to_the_most_popular_creators_still_gets_a_full_list(
    factors: AlsFactors,
) -> None:
    creators = pd.DataFrame(
        {
            "creator_id": [10, 20, 30, 40],
            "n_distinct_readers_recent": [40, 30, 20, 10],
            "n_distinct_readers": [40, 30, 20, 10],
            "n_posts": [1, 1, 1, 1],
            "created_at": pd.to_datetime(["2020-01-01"] * 4),
        }
    )
    subscribed = pd.DataFrame({"user_id": [99, 99], "creator_id": [10, 20]})

    table = user_creators_table(factors, CreatorInputs(np.array([99]), subscribed, creators), n=2)

    assert table["creator_id"].tolist() == [30, 40]
    assert set(table["source"]) == {SOURCE_FALLBACK}


def test_feed_creators_are_each_known_users_best_matches_subscriptions_included(
    factors: AlsFactors,
) -> None:
    candidates = feed_creators(factors, np.array([1, 2, 99]), FeedParams(candidate_creators=2))

    # Nothing is excluded: a feed shows the posts of the creators one subscribes to.
    assert candidates[candidates["user_id"] == 1]["creator_id"].tolist() == [10, 20]
    assert candidates[candidates["user_id"] == 2]["creator_id"].tolist() == [30, 20]
    assert 99 not in candidates["user_id"].tolist()  # unknown to the model: the fallback feed
    assert rank_problems(candidates, "user_id").ok


def test_the_feed_draws_on_only_the_candidate_creators_best_for_the_user(
    factors: AlsFactors, posts: pd.DataFrame
) -> None:
    no_seen = pd.DataFrame({"user_id": [], "post_id": []}, dtype=np.int64)
    params = FeedParams(candidate_creators=1)

    candidates = feed_creators(factors, np.array([1]), params)

    feed = user_posts(candidates, np.array([1]), posts, no_seen, AS_OF, n=5, params=params)

    assert set(feed["creator_id"]) == {10}  # user 1's best creator; 20 and 30 are not drawn on


def test_the_feed_holds_recent_unread_posts_of_the_best_matching_creators(
    factors: AlsFactors, posts: pd.DataFrame
) -> None:
    seen = pd.DataFrame({"user_id": [1], "post_id": [100]})

    candidates = feed_creators(factors, np.array([1]))

    feed = user_posts(candidates, np.array([1]), posts, seen, AS_OF, n=3, params=FeedParams())

    assert leaked_rows(feed, seen, ["user_id", "post_id"]).empty
    assert 102 not in feed["post_id"].tolist()  # 30 days old: outside the recent window
    assert feed["post_id"].tolist()[0] == 200  # creator 20 fresh beats creator 10 three days old
    assert rank_problems(feed, "user_id").ok


def test_users_without_history_get_the_most_read_fresh_posts(
    factors: AlsFactors, posts: pd.DataFrame
) -> None:
    seen = pd.DataFrame({"user_id": [99], "post_id": [300]})

    candidates = feed_creators(factors, np.array([99]))

    feed = user_posts(candidates, np.array([99]), posts, seen, AS_OF, n=2, params=FeedParams())

    assert feed["post_id"].tolist() == [100, 200]
    assert set(feed["source"]) == {SOURCE_FALLBACK}


def test_notifications_are_last_day_posts_above_the_threshold_capped_per_user(
    factors: AlsFactors, posts: pd.DataFrame
) -> None:
    params = FeedParams(notification_min_score=0.3, notifications_per_user_per_day=2)
    seen = pd.DataFrame({"user_id": [2], "post_id": [300]})

    candidates = feed_creators(factors, np.array([1, 2, 99]), params)

    table = notification_candidates(candidates, np.array([1, 2, 99]), posts, seen, AS_OF, params)

    assert table.groupby("user_id").size().max() <= 2
    assert (table["score"] >= 0.3).all()
    assert 101 not in table["post_id"].tolist()  # three days old
    assert 400 not in table["post_id"].tolist()  # below the threshold for everyone
    assert 99 not in table["user_id"].tolist()  # no history, no interruption
    assert table[table["user_id"] == 2]["post_id"].tolist() == [301, 200]


def test_rank_problems_finds_gaps_and_rising_scores() -> None:
    table = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "rank": [1, 3, 1, 2, 1],
            "score": [0.9, 0.8, 0.5, 0.7, np.nan],
        }
    )

    problems = rank_problems(table, "user_id")

    assert (problems.subjects_with_rank_gaps, problems.subjects_with_unsorted_scores) == (1, 1)
    assert problems.non_finite_scores == 1
    assert set(problems.examples) == {1, 2}
    assert not problems.ok


def test_coverage_is_the_share_of_the_population_with_rows() -> None:
    table = pd.DataFrame({"user_id": [1, 1, 2]})

    assert coverage(table, "user_id", np.array([1, 2, 3, 4])) == 0.5


@pytest.mark.parametrize("min_score", [None, 0.3])
def test_best_recent_posts_ranks_as_a_plain_merge_and_sort_would(
    min_score: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small slices, so that users are ranked across several of them.
    monkeypatch.setattr(user_tables, "USERS_PER_SLICE", 7)
    rng = np.random.default_rng(5)
    top = pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(30, dtype=np.int64), 6),
            "creator_id": rng.integers(0, 12, 180).astype(np.int64),
            # Coarse scores: ties between posts are common and broken by post id.
            "score": rng.integers(1, 5, 180).astype(np.float32) / 4,
        }
    ).drop_duplicates(["user_id", "creator_id"])
    recent = pd.DataFrame(
        {
            "post_id": np.arange(100, 160, dtype=np.int64),
            "creator_id": rng.integers(0, 12, 60).astype(np.int64),
            "freshness": rng.choice([1.0, 0.5, 0.25], 60).astype(np.float32),
        }
    )
    seen = pd.DataFrame(
        {"user_id": rng.integers(0, 30, 200), "post_id": rng.integers(100, 160, 200)}
    )

    ranked = user_tables.best_recent_posts(top, recent, seen, n=4, min_score=min_score)

    expected = top.merge(recent, on="creator_id")
    expected["score"] = (expected["score"] * expected["freshness"]).astype(np.float32)
    if min_score is not None:
        expected = expected[expected["score"] >= min_score]
    expected = user_tables._anti_join(expected, seen, ["user_id", "post_id"])
    expected = top_n_per_group(expected, "user_id", "post_id", 4)
    columns = ["user_id", "post_id", "creator_id", "score", "rank"]
    assert ranked["score"].dtype == np.float32 and ranked["rank"].dtype == np.int32
    pd.testing.assert_frame_equal(ranked[columns], expected[columns].astype({"rank": "int32"}))
