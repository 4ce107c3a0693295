"""Analytics group: read-only snapshots of the output tables, published for analysts' queries."""

import dagster as dg

from assets.support.constants import OWNER
from resources import Warehouse

# What analysts query: the dimensions with names and titles, the feature marts and the split, and
# every served table. The events stay in the warehouse (too large to copy on every build).
SNAPSHOT_TABLES = (
    "staging.stg_users",
    "staging.stg_creators",
    "staging.stg_posts",
    "staging.stg_subscriptions",
    "marts.user_features",
    "marts.creator_features",
    "marts.post_features",
    "marts.interactions_train",
    "marts.interactions_holdout",
    "marts.split_cutoff",
    "recommendations.user_creators",
    "recommendations.user_posts",
    "recommendations.notification_candidates",
    "recommendations.similar_creators",
    "recommendations.similar_posts",
)


@dg.asset(
    key=["analytics", "snapshot"],
    group_name="analytics",
    kinds={"parquet", "duckdb"},
    owners=[OWNER],
    # Each table is the asset of the same key (dbt's marts, the recommendation tables).
    deps=[dg.AssetKey(table.split(".")) for table in SNAPSHOT_TABLES],
    description=(
        "The tables analysts query, as Parquet in a new folder per build; the `current` pointer "
        "moves to it atomically, so a query sees one complete build while the pipeline writes "
        "the warehouse. `make sql` opens a SQL shell on it (docs/analysts.md)."
    ),
)
def analytics_snapshot(context: dg.AssetExecutionContext, warehouse: Warehouse):
    from recsys.publish.snapshots import publish

    with warehouse.connect(read_only=True) as conn:
        snapshot = publish(conn, list(SNAPSHOT_TABLES), warehouse.snapshots_dir)
    context.log.info(f"Published {len(snapshot.tables)} tables to {snapshot.folder}")
    rows = "\n".join(f"| `{table}` | {count:,} |" for table, count in snapshot.tables.items())
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(snapshot.folder)),
            "tables": dg.MetadataValue.md(f"| table | rows |\n|---|---|\n{rows}"),
            "dagster/row_count": sum(snapshot.tables.values()),
            "query_with": dg.MetadataValue.text("make sql"),
        }
    )
