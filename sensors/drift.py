"""Drift sensor: retrain once per failed drift evaluation, never while a retrain is running."""

import dagster as dg

from assets.drift import STG_EVENTS
from jobs import retrain_job

DRIFT_CHECK = dg.AssetCheckKey(STG_EVENTS, "feature_drift")
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=retrain_job,
    minimum_interval_seconds=60,
    # Running by default: reacting to drift with no person in the loop is the point, and it can
    # only fire after a drift check has failed.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Launches the retrain job when the feature_drift check on staging/stg_events fails: "
        "exactly once per failed evaluation (the cursor is the evaluation's record id), and not "
        "while another retrain run is queued or running."
    ),
)
def drift_retrain_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    record = context.instance.get_latest_asset_check_evaluation_record(DRIFT_CHECK)
    seen = int(context.cursor) if context.cursor else 0
    if record is None or record.id <= seen:
        return dg.SkipReason("no new drift evaluation")
    # The status enum is not public API; its value is the stable, documented string.
    if record.status.value != "FAILED":
        return dg.SensorResult(cursor=str(record.id), skip_reason="latest drift check passed")
    running = context.instance.get_run_records(
        dg.RunsFilter(job_name=retrain_job.name, statuses=ACTIVE), limit=1
    )
    if running:
        # Keep the cursor: the evaluation is handled once the running retrain has finished.
        return dg.SkipReason(f"retrain run {running[0].dagster_run.run_id} is still active")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"drift-{record.id}", tags={"trigger": "drift"})],
        cursor=str(record.id),
    )
