"""The creator-discovery code location: assets, checks, jobs, sensors and resources."""

from __future__ import annotations

import dagster as dg

from recsys.settings import FIRST_EVENT_DAY_VAR, PRODUCT_DB_URL_VAR, Settings


@dg.definitions
def defs() -> dg.Definitions:
    # Built on demand so that importing this module stays cheap and reads no environment.
    return build_definitions(Settings.from_env())


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location over `settings` (the drift demo builds one over its own data folder)."""
    from dagster_dbt import DbtCliResource

    from assets.analytics import analytics_snapshot
    from assets.content import content_model, content_quality_gate
    from assets.dbt import build_dbt_assets, dbt_project
    from assets.drift import feature_drift, taste_drift
    from assets.exports import product_database_export
    from assets.indexes import creator_index, index_checks, post_index
    from assets.models import als_holdout, als_model, als_quality_gate
    from assets.monitoring import build_served_quality, served_history
    from assets.quality import contract_checks
    from assets.ranking import ranker, ranker_quality_gate
    from assets.raw import build_raw_events, raw_dimension_assets
    from assets.recommendation_checks import recommendation_checks
    from assets.recommendations import (
        notification_candidates,
        similar_creators,
        similar_posts,
    )
    from assets.shards import user_table_assets
    from assets.support.constants import event_partitions
    from assets.tuning import build_als_tuning
    from jobs import JOBS, SCHEDULES
    from jobs.executors import executor_for
    from recsys.ingest.landing import event_days
    from resources import (
        History,
        LandingZone,
        MlflowTracking,
        ModelStore,
        ProductDatabase,
        ScoringShards,
        Warehouse,
    )
    from sensors import build_sensors

    project = dbt_project()
    project.prepare_if_dev()
    # The partitions' start is the setting, else the landing zone's earliest day (never later than
    # the demo's start), read once here: the definitions are rebuilt when the code location reloads.
    partitions = event_partitions(settings.event_partitions_start(event_days(settings.landing_dir)))
    served_quality = build_served_quality(partitions)
    # One shard: user_creators, feed_creators and user_posts scored in steps; more: per user shard.
    user_tables, sharded_jobs = user_table_assets(settings.scoring_shards)
    return dg.Definitions(
        assets=[
            *raw_dimension_assets,
            build_raw_events(partitions),
            build_dbt_assets(project),
            build_als_tuning(settings.tuning_trials, settings.tuning_seconds),
            als_holdout,
            als_model,
            content_model,
            ranker,
            post_index,
            creator_index,
            *user_tables,
            notification_candidates,
            similar_creators,
            similar_posts,
            analytics_snapshot,
            product_database_export,
            served_history,
            served_quality,
        ],
        asset_checks=[
            als_quality_gate,
            feature_drift,
            taste_drift,
            *contract_checks,
            content_quality_gate,
            ranker_quality_gate,
            *index_checks,
            *recommendation_checks,
        ],
        jobs=[*JOBS, *sharded_jobs],
        # In process unless CREATOR_DISCOVERY_EXECUTOR says k8s (jobs/executors.py says why).
        executor=executor_for(settings.executor),
        schedules=SCHEDULES,
        sensors=build_sensors(partitions, FIRST_EVENT_DAY_VAR),
        resources={
            "warehouse": Warehouse(
                path=str(settings.warehouse_path), snapshots_path=str(settings.analytics_dir)
            ),
            "landing_zone": LandingZone(path=str(settings.landing_dir)),
            "history": History.from_settings(settings),
            "dbt": DbtCliResource(project_dir=project),
            "model_store": ModelStore(
                path=str(settings.models_dir), truth_path=str(settings.truth_dir)
            ),
            "mlflow": MlflowTracking.from_settings(settings),
            "scoring_shards": ScoringShards(path=str(settings.shards_dir)),
            # From the environment as an EnvVar: the UI then shows its name, not the credentials.
            "product_database": ProductDatabase(
                url=dg.EnvVar(PRODUCT_DB_URL_VAR)
                if settings.product_db_url_from_env
                else settings.product_db_url
            ),
        },
    )
