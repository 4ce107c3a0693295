"""Checks on the recommendation tables: contiguous ranks and sorted scores, no leaks, coverage."""

import dagster as dg

from assets.recommendations import (
    SCHEMA,
    feed_creators,
    notification_candidates,
    similar_creators,
    similar_posts,
    user_creators,
    user_posts,
)
from assets.support.metadata import rounded
from recsys.serving.inputs import ACTIVE_SUBSCRIPTIONS, OPENED_POSTS, SERVED_USERS
from resources import History, Warehouse

MIN_USER_COVERAGE = 0.99


def rank_check(asset: dg.AssetsDefinition, subject: str) -> dg.AssetChecksDefinition:
    table = asset.key.path[-1]

    @dg.asset_check(
        asset=asset,
        name="ranks_contiguous_and_scores_sorted",
        blocking=True,
        description=f"Per {subject}: ranks 1..n without gaps, scores finite and non-increasing.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        from recsys.serving.invariants import rank_problems

        rows = warehouse.query(f"SELECT {subject}, rank, score FROM {SCHEMA}.{table}")
        problems = rank_problems(rows, subject)
        return dg.AssetCheckResult(
            passed=problems.ok,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows": len(rows),
                "subjects_with_rank_gaps": problems.subjects_with_rank_gaps,
                "subjects_with_unsorted_scores": problems.subjects_with_unsorted_scores,
                "non_finite_scores": problems.non_finite_scores,
                "example_subjects": str(problems.examples),
            },
        )

    return _check


def leak_check(
    asset: dg.AssetsDefinition, name: str, forbidden_sql: str, keys: list[str], what: str
) -> dg.AssetChecksDefinition:
    table = asset.key.path[-1]

    @dg.asset_check(
        asset=asset,
        name=name,
        blocking=True,
        description=f"No row recommends {what}.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        # A semi join in the warehouse: at a million readers the table and the forbidden pairs
        # are tens of millions of rows each, which pandas took minutes to merge.
        columns = ", ".join(keys)
        leaks = warehouse.query(
            f"SELECT {columns} FROM {SCHEMA}.{table} "
            f"SEMI JOIN ({forbidden_sql}) AS forbidden USING ({columns}) ORDER BY {columns}"
        )
        return dg.AssetCheckResult(
            passed=leaks.empty,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "leaked_rows": len(leaks),
                "examples": leaks.head(5).to_dict(orient="records").__repr__(),
            },
        )

    return _check


def coverage_check(asset: dg.AssetsDefinition, minimum: float) -> dg.AssetChecksDefinition:
    table = asset.key.path[-1]

    @dg.asset_check(
        asset=asset,
        name="covers_served_users",
        blocking=True,
        description=f"At least {minimum:.0%} of non-bot users have recommendations.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        from recsys.serving.invariants import coverage

        rows = warehouse.query(f"SELECT DISTINCT user_id FROM {SCHEMA}.{table}")
        population = warehouse.query(SERVED_USERS)["user_id"].to_numpy()
        share = coverage(rows, "user_id", population)
        return dg.AssetCheckResult(
            passed=share >= minimum,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"coverage": rounded(share), "users": len(population), "minimum": minimum},
        )

    return _check


def feed_coverage_check(asset: dg.AssetsDefinition, minimum: float) -> dg.AssetChecksDefinition:
    table = asset.key.path[-1]

    @dg.asset_check(
        asset=asset,
        name="covers_users_with_fresh_posts",
        blocking=True,
        additional_deps=[feed_creators],
        description=(
            f"At least {minimum:.0%} of the users who have an unopened post from the freshness "
            "window by a creator they could be recommended (their best-matching creators; any "
            "creator for the fallback feed) have a feed. No fresh post at all is a warning."
        ),
    )
    def _check(warehouse: Warehouse, history: History) -> dg.AssetCheckResult:
        import numpy as np
        import pandas as pd

        from recsys.serving.inputs import FEED_POSTS, served_users
        from recsys.serving.invariants import feed_coverage, posts_within, users_with_fresh_posts
        from recsys.warehouse import latest_event_at

        window = history.fresh_post_days
        with warehouse.connect(read_only=True) as conn:
            as_of = pd.Timestamp(latest_event_at(conn))
            fresh = posts_within(conn.execute(FEED_POSTS).df(), as_of, window)
            population = users_with_fresh_posts(conn, fresh)
            users_served = len(np.unique(served_users(conn)))
            rows = conn.execute(f"SELECT DISTINCT user_id FROM {SCHEMA}.{table}").df()
        result = feed_coverage(rows, population, users_served, len(fresh), window)
        if result.warn:
            passed, severity = False, dg.AssetCheckSeverity.WARN
        else:
            passed, severity = result.share >= minimum, dg.AssetCheckSeverity.ERROR
        return dg.AssetCheckResult(
            passed=passed,
            severity=severity,
            metadata={
                "coverage": rounded(result.share),
                "users_judged": result.users_judged,
                "users_served": result.users_served,
                "fresh_posts": result.fresh_posts,
                "minimum": minimum,
                "reason": result.reason,
            },
        )

    return _check


recommendation_checks = [
    rank_check(user_creators, "user_id"),
    rank_check(feed_creators, "user_id"),
    rank_check(user_posts, "user_id"),
    rank_check(notification_candidates, "user_id"),
    rank_check(similar_creators, "creator_id"),
    rank_check(similar_posts, "post_id"),
    leak_check(
        user_creators,
        "no_subscribed_creators",
        ACTIVE_SUBSCRIPTIONS,
        ["user_id", "creator_id"],
        "a creator the user already subscribes to",
    ),
    leak_check(
        user_posts, "no_opened_posts", OPENED_POSTS, ["user_id", "post_id"], "an opened post"
    ),
    leak_check(
        notification_candidates,
        "no_opened_posts",
        OPENED_POSTS,
        ["user_id", "post_id"],
        "an opened post",
    ),
    coverage_check(user_creators, MIN_USER_COVERAGE),
    feed_coverage_check(user_posts, MIN_USER_COVERAGE),
]
