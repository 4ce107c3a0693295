"""Exports group: the recommendation tables, copied to the product database the backend reads."""

from pathlib import Path

import dagster as dg

from assets.recommendation_checks import recommendation_checks
from assets.recommendations import (
    notification_candidates,
    similar_creators,
    similar_posts,
    user_creators,
    user_posts,
)
from assets.support.constants import OWNER
from assets.support.guards import all_check_keys, refuse_on_failed_checks
from assets.support.metadata import rounded
from resources import History, ProductDatabase, Warehouse


@dg.asset(
    key=["exports", "product_database"],
    group_name="exports",
    kinds={"sqlite", "postgres"},
    owners=[OWNER],
    deps=[
        user_creators,
        user_posts,
        notification_candidates,
        similar_creators,
        similar_posts,
        # reader_recent_posts, each reader's latest opened posts, is derived from the events.
        ["staging", "stg_events"],
    ],
    description=(
        "The five recommendation tables and each reader's latest opened posts "
        "(reader_recent_posts, CREATOR_DISCOVERY_READER_HISTORY_POSTS per reader) in the product "
        "database (SQLite by default, PostgreSQL when CREATOR_DISCOVERY_PRODUCT_DB_URL is set): "
        "copied into staging tables, verified by "
        "row count and checksum, then swapped in together in one transaction. The previous version "
        "is kept for rollback (job rollback_export); export_log records every attempt."
    ),
)
def product_database_export(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    product_database: ProductDatabase,
    history: History,
) -> dg.MaterializeResult:
    import pandas as pd

    from recsys.publish.export import ExportError, export_recommendations, product_tables
    from recsys.serving.preview import markdown_table

    refuse_on_failed_checks(
        context.instance,
        all_check_keys(recommendation_checks),
        "export recommendation tables whose checks failed",
        "Fix the cause and rebuild the tables (job refresh or retrain); the export runs after "
        "their checks pass. The product database keeps its live version.",
    )
    try:
        result = export_recommendations(
            Path(warehouse.path),
            product_database.url,
            progress=context.log.info,
            specs=product_tables(history.reader_history_posts),
        )
    except ExportError as error:
        # The exporter's messages carry the masked URL only.
        raise dg.Failure(description=str(error), allow_retries=False) from error
    tables = [
        {
            "table": name,
            "rows": rows,
            "rows_per_second": round(result.tables[name].rows_per_second)
            if name in result.tables
            else "",
        }
        for name, rows in result.row_counts.items()
    ]
    return dg.MaterializeResult(
        metadata={
            "status": result.status,
            "export_version": result.version,
            "previous_version": result.replaced_version or 0,
            "target": dg.MetadataValue.text(result.url),
            "dagster/row_count": sum(result.row_counts.values()),
            "tables": dg.MetadataValue.md(markdown_table(pd.DataFrame(tables))),
            "model_versions": dg.MetadataValue.json(result.model_versions),
            "copy_seconds": rounded(result.copy_seconds, 2),
            "swap_lock_ms": rounded(result.swap_lock_ms, 1),
        }
    )
