"""Recommendations group: the precomputed tables the product serves, built from the champions."""

import dagster as dg
import numpy as np
import pandas as pd

from assets.indexes import creator_index, index_version, post_index
from assets.models import als_model
from assets.support.champions import champion_als
from assets.support.constants import OWNER
from assets.support.metadata import describe_table
from resources import MlflowTracking, ModelStore, Warehouse

SCHEMA = "recommendations"
TABLE_KINDS = {"python", "duckdb"}
ACTIVE_SUBSCRIPTIONS = "SELECT user_id, creator_id FROM staging.stg_subscriptions WHERE is_active"
OPENED_POSTS = "SELECT DISTINCT user_id, post_id FROM staging.stg_events"
SERVED_USERS = "SELECT user_id FROM marts.user_features WHERE NOT is_bot"


class RecommendationConfig(dg.Config):
    """Table sizes and the feed's scoring knobs."""

    creators_per_user: int = 20
    posts_per_user: int = 20
    similar_per_item: int = 10
    recent_days: float = 7.0
    notification_min_score: float = 0.2
    notifications_per_user_per_day: int = 3

    def feed(self):
        from recsys.serving.user_tables import FeedParams

        return FeedParams(
            recent_days=self.recent_days,
            notification_min_score=self.notification_min_score,
            notifications_per_user_per_day=self.notifications_per_user_per_day,
        )


# What each table's preview shows in the UI: names and titles, not ids. `t` is the table; the
# first subjects (by id) and their top PREVIEW_RANKS rows.
CREATORS = "staging.stg_creators"
POSTS = "staging.stg_posts"
# The feed and the notifications share their columns, so they preview the same way.
POST_PREVIEW = (
    "user_id",
    f"SELECT t.user_id, t.rank, p.title AS post, c.creator_name AS creator, t.score "
    f"FROM {{table}} t JOIN {POSTS} p USING (post_id) JOIN {CREATORS} c "
    "ON c.creator_id = t.creator_id",
)
PREVIEWS = {
    "user_creators": (
        "user_id",
        f"SELECT t.user_id, t.rank, c.creator_name AS creator, c.category, t.score, t.source "
        f"FROM {{table}} t JOIN {CREATORS} c USING (creator_id)",
    ),
    "user_posts": POST_PREVIEW,
    "notification_candidates": POST_PREVIEW,
    "similar_creators": (
        "creator_id",
        "SELECT s.creator_name AS creator, t.rank, c.creator_name AS similar_creator, "
        "c.category, t.score "
        f"FROM {{table}} t JOIN {CREATORS} s ON s.creator_id = t.creator_id "
        f"JOIN {CREATORS} c ON c.creator_id = t.similar_creator_id",
    ),
    "similar_posts": (
        "post_id",
        f"SELECT s.title AS post, t.rank, p.title AS similar_post, t.score "
        f"FROM {{table}} t JOIN {POSTS} s ON s.post_id = t.post_id "
        f"JOIN {POSTS} p ON p.post_id = t.similar_post_id",
    ),
}
PREVIEW_SUBJECTS = 3
PREVIEW_RANKS = 5


def _preview(conn, name: str) -> str:
    from recsys.serving.preview import markdown_table

    subject, select = PREVIEWS[name]
    table = f"{SCHEMA}.{name}"
    first = f"SELECT DISTINCT {subject} FROM {table} ORDER BY {subject} LIMIT {PREVIEW_SUBJECTS}"
    rows = conn.execute(
        f"{select.format(table=table)} WHERE t.{subject} IN ({first}) AND t.rank <= ? "
        f"ORDER BY t.{subject}, t.rank",
        [PREVIEW_RANKS],
    ).df()
    return markdown_table(rows)


def _write(
    warehouse: Warehouse, name: str, table: pd.DataFrame, version: int
) -> dg.MaterializeResult:
    from recsys.warehouse import replace_table

    table = table.assign(model_version=np.int32(version))
    with warehouse.connect() as conn:
        replace_table(conn, f"{SCHEMA}.{name}", table)
        metadata = describe_table(conn, f"{SCHEMA}.{name}")
        preview = _preview(conn, name)
    subjects = table.iloc[:, 0].nunique() if len(table) else 0
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "subjects": int(subjects),
            "model_version": version,
            "preview": dg.MetadataValue.md(preview),
        }
    )


def _query(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with warehouse.connect(read_only=True) as conn:
        return conn.execute(sql).df()


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
    "Top creators per user from the champion ALS model, never one the user subscribes to. Users "
    "without history get popular creators interleaved with new ones (source popular_and_fresh).",
    [
        als_model,
        ["marts", "creator_features"],
        ["marts", "user_features"],
        ["staging", "stg_subscriptions"],
    ],
)
def user_creators(
    config: RecommendationConfig, warehouse: Warehouse, mlflow: MlflowTracking
) -> dg.MaterializeResult:
    from recsys.serving.user_tables import fallback_creators
    from recsys.serving.user_tables import user_creators as recommend_creators

    factors, version = champion_als(mlflow)
    users = _query(warehouse, SERVED_USERS)["user_id"].to_numpy()
    subscribed = _query(warehouse, ACTIVE_SUBSCRIPTIONS)
    creators = _query(warehouse, "SELECT * FROM marts.creator_features")
    fallback = fallback_creators(creators, config.creators_per_user * 2)
    table = recommend_creators(factors, users, subscribed, fallback, config.creators_per_user)
    return _write(warehouse, "user_creators", table, version)


def _feed_inputs(
    warehouse: Warehouse,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    users = _query(warehouse, SERVED_USERS)["user_id"].to_numpy()
    posts = _query(
        warehouse,
        "SELECT post_id, creator_id, published_at, n_distinct_readers FROM marts.post_features",
    )
    seen = _query(warehouse, OPENED_POSTS)
    as_of = pd.Timestamp(
        _query(warehouse, "SELECT max(event_at) AS t FROM staging.stg_events")["t"][0]
    )
    return users, posts, seen, as_of


@_table_asset(
    "user_posts",
    "A feed per user: recent posts of the creators the champion ALS model ranks highest for the "
    "user, weighted by freshness, never a post the user already opened.",
    [als_model, ["marts", "post_features"], ["marts", "user_features"], ["staging", "stg_events"]],
)
def user_posts(
    config: RecommendationConfig, warehouse: Warehouse, mlflow: MlflowTracking
) -> dg.MaterializeResult:
    from recsys.serving.user_tables import user_posts as recommend_posts

    factors, version = champion_als(mlflow)
    users, posts, seen, as_of = _feed_inputs(warehouse)
    table = recommend_posts(
        factors, users, posts, seen, as_of, config.posts_per_user, config.feed()
    )
    return _write(warehouse, "user_posts", table, version)


@_table_asset(
    "notification_candidates",
    "Posts published in the last day that a reader would likely open: score above a threshold, "
    "at most a few per user per day, never already opened.",
    [als_model, ["marts", "post_features"], ["marts", "user_features"], ["staging", "stg_events"]],
)
def notification_candidates(
    config: RecommendationConfig, warehouse: Warehouse, mlflow: MlflowTracking
) -> dg.MaterializeResult:
    from recsys.serving.user_tables import notification_candidates as candidates

    factors, version = champion_als(mlflow)
    users, posts, seen, as_of = _feed_inputs(warehouse)
    table = candidates(factors, users, posts, seen, as_of, config.feed())
    return _write(warehouse, "notification_candidates", table, version)


def _similar_items_table(index, n: int, subject: str, item: str) -> pd.DataFrame:
    from recsys.serving.top_n import top_n_per_group

    ids, scores = index.query_many(index.vectors(), n + 1)
    frame = pd.DataFrame(
        {
            subject: np.repeat(index.ids, ids.shape[1]),
            item: ids.ravel(),
            "score": scores.ravel(),
        }
    )
    frame = frame[(frame[item] != frame[subject]) & (frame[item] >= 0)]
    return top_n_per_group(frame, subject, item, n)[[subject, item, "rank", "score"]]


@_table_asset(
    "similar_creators",
    "For each creator, the creators with the closest ALS factors (cosine), from the creator index.",
    [creator_index],
)
def similar_creators(
    config: RecommendationConfig, warehouse: Warehouse, model_store: ModelStore
) -> dg.MaterializeResult:
    from recsys.serving.ann import AnnIndex

    index = AnnIndex.load(model_store.folder("indexes") / "creators")
    table = _similar_items_table(index, config.similar_per_item, "creator_id", "similar_creator_id")
    return _write(
        warehouse,
        "similar_creators",
        table,
        index_version(model_store.folder("indexes") / "creators"),
    )


@_table_asset(
    "similar_posts",
    "For each post, the posts closest in content (cosine of embeddings), from the post index.",
    [post_index],
)
def similar_posts(
    config: RecommendationConfig, warehouse: Warehouse, model_store: ModelStore
) -> dg.MaterializeResult:
    from recsys.serving.ann import AnnIndex

    index = AnnIndex.load(model_store.folder("indexes") / "posts")
    table = _similar_items_table(index, config.similar_per_item, "post_id", "similar_post_id")
    return _write(
        warehouse, "similar_posts", table, index_version(model_store.folder("indexes") / "posts")
    )
