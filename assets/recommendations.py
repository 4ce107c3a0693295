"""Recommendations group: the precomputed tables the product serves, built from the champions."""

from collections.abc import Callable

import dagster as dg
import numpy as np
import pandas as pd

from assets.indexes import creator_index, post_index
from assets.models import ALS_MODEL, als_model
from assets.ranking import ordered_user_creators, ranker
from assets.support.champions import champion_als
from assets.support.constants import OWNER
from assets.support.metadata import describe_table
from recsys.serving.inputs import FeedInputs
from recsys.serving.user_tables import FeedParams, TableSizes
from resources import History, MlflowTracking, ModelStore, Warehouse

SCHEMA = "recommendations"
TABLE_KINDS = {"python", "duckdb"}
_SIZES = TableSizes()
_FEED = FeedParams()


class RecommendationConfig(dg.Config):
    """Table sizes and the feed's scoring knobs (defaults: recsys.serving.user_tables)."""

    creators_per_user: int = _SIZES.creators_per_user
    posts_per_user: int = _SIZES.posts_per_user
    similar_per_item: int = _SIZES.similar_per_item
    # None: CREATOR_DISCOVERY_FRESH_POST_DAYS (resources.History); set, it wins for the run.
    recent_days: float | None = None
    notification_min_score: float = _FEED.notification_min_score
    notifications_per_user_per_day: int = _FEED.notifications_per_user_per_day

    def feed(self, fresh_post_days: float) -> FeedParams:
        return FeedParams(
            recent_days=fresh_post_days if self.recent_days is None else self.recent_days,
            notification_min_score=self.notification_min_score,
            notifications_per_user_per_day=self.notifications_per_user_per_day,
        )


def _write(
    warehouse: Warehouse, name: str, table: pd.DataFrame, version: int
) -> dg.MaterializeResult:
    from recsys.serving.preview import table_preview
    from recsys.settings import Settings
    from recsys.warehouse import replace_table

    # The explorer (`make serve`) shows any row of the table for one reader, creator or post.
    explorer_url = Settings.from_env().explorer_url

    table = table.assign(model_version=np.int32(version))
    with warehouse.connect() as conn:
        replace_table(conn, f"{SCHEMA}.{name}", table)
        metadata = describe_table(conn, f"{SCHEMA}.{name}")
        preview = table_preview(conn, SCHEMA, name, explorer_url=explorer_url)
    subjects = table.iloc[:, 0].nunique() if len(table) else 0
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "subjects": int(subjects),
            "model_version": version,
            "preview": dg.MetadataValue.md(preview),
            "explorer": dg.MetadataValue.url(explorer_url),
        }
    )


def _table_asset(name: str, description: str, deps: list):
    return dg.asset(
        key=[SCHEMA, name],
        group_name=SCHEMA,
        kinds=TABLE_KINDS,
        owners=[OWNER],
        deps=deps,
        description=description,
    )


@_table_asset(
    "user_creators",
    "Top creators per user from the champion ALS model, never one the user subscribes to; in the "
    "ranker's order (source ranker:<retrievers>) while its gate says it beats ALS alone. Users "
    "without history get popular creators interleaved with new ones (source popular_and_fresh).",
    [
        als_model,
        ranker,
        ["marts", "creator_features"],
        ["marts", "user_features"],
        ["staging", "stg_subscriptions"],
    ],
)
def user_creators(
    context: dg.AssetExecutionContext,
    config: RecommendationConfig,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.serving.inputs import read_creator_inputs
    from recsys.serving.user_tables import user_creators_table

    factors, version = champion_als(mlflow)
    with warehouse.connect(read_only=True) as conn:
        inputs = read_creator_inputs(conn)
    table = user_creators_table(factors, inputs, config.creators_per_user)
    table, order = ordered_user_creators(
        context,
        warehouse,
        mlflow,
        model_store,
        table,
        factors,
        version,
        inputs.subscribed,
        config.creators_per_user,
    )
    result = _write(warehouse, "user_creators", table, version)
    return dg.MaterializeResult(metadata={**(result.metadata or {}), "order": order.reason})


@_table_asset(
    "feed_creators",
    "Each reader's best-matching creators by the champion ALS model, subscriptions included: the "
    "creators whose recent posts the feed and the notifications draw on. Not served itself; "
    "scored once here because scoring every reader against every creator is the costliest step.",
    [als_model, ["marts", "user_features"]],
)
def feed_creators(warehouse: Warehouse, mlflow: MlflowTracking) -> dg.MaterializeResult:
    from recsys.serving.inputs import served_users
    from recsys.serving.user_tables import feed_creators as best_matching_creators

    factors, version = champion_als(mlflow)
    with warehouse.connect(read_only=True) as conn:
        users = served_users(conn)
    return _write(warehouse, "feed_creators", best_matching_creators(factors, users), version)


def _feed_table(
    name: str,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    build: Callable[[pd.DataFrame, FeedInputs], pd.DataFrame],
) -> dg.MaterializeResult:
    """Write the table `build` makes of feed_creators and the feed's inputs, versioned by the model
    that scored those creators (the champion's when no reader had any: all rows are fallbacks)."""
    from assets.support.champions import champion_folder
    from recsys.serving.inputs import read_feed_creators, read_feed_inputs

    with warehouse.connect(read_only=True) as conn:
        candidates, scored_by = read_feed_creators(conn)
        feed = read_feed_inputs(conn)
    version = scored_by if scored_by is not None else champion_folder(mlflow, ALS_MODEL)[1]
    return _write(warehouse, name, build(candidates, feed), version)


_FEED_DEPS = [feed_creators, ["marts", "post_features"], ["marts", "user_features"]]


@_table_asset(
    "user_posts",
    "A feed per user: recent posts of the user's best-matching creators (feed_creators), weighted "
    "by freshness, never a post the user already opened.",
    [*_FEED_DEPS, ["staging", "stg_events"]],
)
def user_posts(
    config: RecommendationConfig, warehouse: Warehouse, mlflow: MlflowTracking, history: History
) -> dg.MaterializeResult:
    from recsys.serving.user_tables import user_posts as recommend_posts

    params = config.feed(history.fresh_post_days)
    return _feed_table(
        "user_posts",
        warehouse,
        mlflow,
        lambda candidates, feed: recommend_posts(
            candidates,
            feed.users,
            feed.posts,
            feed.seen,
            feed.as_of,
            config.posts_per_user,
            params,
        ),
    )


@_table_asset(
    "notification_candidates",
    "Posts published in the last day that a reader would likely open: score above a threshold, "
    "at most a few per user per day, never already opened.",
    [*_FEED_DEPS, ["staging", "stg_events"]],
)
def notification_candidates(
    config: RecommendationConfig, warehouse: Warehouse, mlflow: MlflowTracking, history: History
) -> dg.MaterializeResult:
    from recsys.serving.user_tables import notification_candidates as notify

    params = config.feed(history.fresh_post_days)
    return _feed_table(
        "notification_candidates",
        warehouse,
        mlflow,
        lambda candidates, feed: notify(
            candidates, feed.users, feed.posts, feed.seen, feed.as_of, params
        ),
    )


@_table_asset(
    "similar_creators",
    "For each creator, the creators with the closest ALS factors (cosine), from the creator index.",
    [creator_index],
)
def similar_creators(
    context: dg.AssetExecutionContext,
    config: RecommendationConfig,
    warehouse: Warehouse,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.serving.neighbour_tables import similar_items_table

    index = model_store.artifacts.load_index("creators")
    table = similar_items_table(
        index,
        config.similar_per_item,
        "creator_id",
        "similar_creator_id",
        progress=lambda line: context.log.info(f"similar creators: {line}"),
    )
    return _write(
        warehouse,
        "similar_creators",
        table,
        model_store.artifacts.index_model_version("creators"),
    )


@_table_asset(
    "similar_posts",
    "For each post a feed can still show (published within the freshness window), the posts "
    "closest in content (cosine of embeddings), from the post index. Older posts' neighbours are "
    "served online from the same index.",
    [post_index, ["marts", "post_features"], ["staging", "stg_events"]],
)
def similar_posts(
    context: dg.AssetExecutionContext,
    config: RecommendationConfig,
    warehouse: Warehouse,
    model_store: ModelStore,
    history: History,
) -> dg.MaterializeResult:
    from recsys.serving.inputs import feed_eligible_post_ids
    from recsys.serving.neighbour_tables import similar_posts_table

    window_days = config.feed(history.fresh_post_days).recent_days
    with warehouse.connect(read_only=True) as conn:
        eligible = feed_eligible_post_ids(conn, window_days)
    index = model_store.artifacts.load_index("posts")
    context.log.info(
        f"Similar posts for {len(eligible):,} feed-eligible posts (last {window_days:g} days) of "
        f"{len(index):,} indexed; {index.search_description}"
    )
    table = similar_posts_table(
        index,
        eligible,
        config.similar_per_item,
        progress=lambda line: context.log.info(f"similar posts: {line}"),
    )
    result = _write(
        warehouse, "similar_posts", table, model_store.artifacts.index_model_version("posts")
    )
    return dg.MaterializeResult(
        metadata={
            **(result.metadata or {}),
            "feed_window_days": window_days,
            "feed_eligible_posts": len(eligible),
            "indexed_posts": len(index),
            "search": index.search_description,
        }
    )
