"""Jobs: daily event ingestion, the refresh of everything built from it, and retraining."""

import dagster as dg

from assets.support.constants import RAW_EVENTS, SCORING_SHARDS_GROUP, SERVED_QUALITY
from jobs.rollback import rollback_export

ingest_events_job = dg.define_asset_job(
    name="ingest_events",
    selection=dg.AssetSelection.assets(RAW_EVENTS),
    description="Load days of landing events into raw.events (one partition per day).",
)

load_dimensions_job = dg.define_asset_job(
    name="load_dimensions",
    selection=dg.AssetSelection.groups("raw") - dg.AssetSelection.assets(RAW_EVENTS),
    description="Reload users, creators, posts and subscriptions: events are checked against them.",
)

build_all_job = dg.define_asset_job(
    name="build_all",
    selection=(
        dg.AssetSelection.all()
        - dg.AssetSelection.assets(RAW_EVENTS, SERVED_QUALITY)
        - dg.AssetSelection.groups(SCORING_SHARDS_GROUP)
    ),
    description=(
        "Everything downstream of the events in one run: dimension tables, dbt models and tests, "
        "models and their gates, indexes and recommendation tables (what `make demo` runs)."
    ),
)

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=(
        dg.AssetSelection.all()
        - dg.AssetSelection.assets(RAW_EVENTS, SERVED_QUALITY)
        - dg.AssetSelection.groups("models", "indexes", SCORING_SHARDS_GROUP)
    ),
    description=(
        "The daily refresh: dimension tables, dbt models and tests (with the drift check), and "
        "the recommendation tables rebuilt from the current champions on the new data. "
        "Retraining is left to the retrain job, which the drift sensor starts."
    ),
)

retrain_job = dg.define_asset_job(
    name="retrain",
    selection=dg.AssetSelection.groups(
        "models", "indexes", "recommendations", "analytics", "exports"
    ),
    description=(
        "Fit and judge the models on the current marts, then rebuild the indexes, the "
        "recommendation tables, the analysts' snapshot and the export from whichever versions "
        "the quality gates leave as champions."
    ),
)

score_served_job = dg.define_asset_job(
    name="score_served",
    selection=dg.AssetSelection.assets(SERVED_QUALITY),
    description=(
        "Judge one day's served lists by that day's reading (one partition per day), with the "
        "check that compares it to the trailing days."
    ),
)

export_job = dg.define_asset_job(
    name="export",
    selection=dg.AssetSelection.groups("exports"),
    description="Export the current recommendation tables to the product database.",
)

JOBS = [
    load_dimensions_job,
    ingest_events_job,
    build_all_job,
    refresh_job,
    retrain_job,
    score_served_job,
    export_job,
    rollback_export,
]

daily_refresh_schedule = dg.ScheduleDefinition(
    job=refresh_job,
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    # Stopped by default: on a laptop the demo is run by hand; a deployment turns it on.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 04:00 UTC, after the previous day's events have landed.",
)

served_quality_schedule = dg.build_schedule_from_partitioned_job(
    score_served_job,
    hour_of_day=5,
    # Stopped by default, as the refresh it follows: a deployment turns both on.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 05:00 UTC, after the refresh: judges the previous day's lists.",
)

SCHEDULES = [daily_refresh_schedule, served_quality_schedule]
