"""Retrain sensor: one retrain per failed evaluation of the checks that judge the champion's world
(feature drift, taste drift, served quality), never while a retrain is running."""

from __future__ import annotations

import json
from collections.abc import Sequence

import dagster as dg

from assets.drift import STG_EVENTS
from assets.support.constants import SERVED_QUALITY
from jobs import retrain_job

DRIFT_CHECK = dg.AssetCheckKey(STG_EVENTS, "feature_drift")
TASTE_CHECK = dg.AssetCheckKey(STG_EVENTS, "taste_drift")
SERVED_QUALITY_CHECK = dg.AssetCheckKey(SERVED_QUALITY, "served_quality_band")
RETRAIN_CHECKS = (DRIFT_CHECK, TASTE_CHECK, SERVED_QUALITY_CHECK)
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# Evaluations read per check and tick: a backfill of served-quality days evaluates its check once
# per day, and each of them counts.
EVALUATIONS_PER_TICK = 200


def build_retrain_sensor(
    checks: Sequence[dg.AssetCheckKey], name: str = "drift_retrain_sensor"
) -> dg.SensorDefinition:
    """The sensor over `checks`: its cursor keeps, per check, the newest evaluation handled."""
    watched = ", ".join(key.to_user_string() for key in checks)

    @dg.sensor(
        name=name,
        job=retrain_job,
        minimum_interval_seconds=60,
        # Running by default: reacting to drift with no person in the loop is the point, and it
        # can only fire after one of its checks has failed.
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Launches the retrain job when one of these checks fails: {watched}. Exactly once per "
            "failed evaluation (the cursor keeps each check's newest evaluation handled), one run "
            "for the failures seen in one tick, and none while another retrain run is queued or "
            "running."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        handled = read_cursor(context.cursor)
        failed: list[str] = []
        advanced = dict(handled)
        for key in checks:
            check = key.to_user_string()
            newest, failures = _judged_since(context.instance, key, handled.get(check, 0))
            if newest is not None:
                advanced[check] = newest
            failed.extend(f"{key.name}:{record_id}" for record_id in failures)
        if advanced == handled:
            return dg.SkipReason(f"no new evaluation of {watched}")
        if not failed:
            return dg.SensorResult(
                cursor=write_cursor(advanced), skip_reason="the new evaluations passed"
            )
        running = context.instance.get_run_records(
            dg.RunsFilter(job_name=retrain_job.name, statuses=ACTIVE), limit=1
        )
        if running:
            # Keep the cursor: the failures are handled once the running retrain has finished.
            return dg.SkipReason(f"retrain run {running[0].dagster_run.run_id} is still active")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=_run_key(failed),
                    tags={"trigger": "drift", "failed_evaluations": ", ".join(failed)},
                )
            ],
            cursor=write_cursor(advanced),
        )

    return _sensor


def read_cursor(cursor: str | None) -> dict[str, int]:
    """Per check (its user string), the newest evaluation record handled. A bare number is the
    cursor of the sensor's first version, which watched feature drift alone."""
    if not cursor:
        return {}
    if cursor.strip().isdigit():
        return {DRIFT_CHECK.to_user_string(): int(cursor)}
    return {name: int(record_id) for name, record_id in json.loads(cursor).items()}


def write_cursor(handled: dict[str, int]) -> str:
    return json.dumps(handled, sort_keys=True)


def _run_key(failed: list[str], shown: int = 4) -> str:
    """Unique per set of failed evaluations (record ids never repeat), and short."""
    more = f"-and-{len(failed) - shown}-more" if len(failed) > shown else ""
    return f"drift-{'-'.join(failed[:shown])}{more}"


def _judged_since(
    instance: dg.DagsterInstance, key: dg.AssetCheckKey, after: int
) -> tuple[int | None, list[int]]:
    """The newest evaluation of `key` past `after` that is over (or None), and the failed ones.

    An evaluation still planned in a running run stops the walk: the check may yet fail, and its
    record keeps its id when it does. One planned in a run that ended never ran and is passed by.
    """
    records = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=EVALUATIONS_PER_TICK
    )
    newest: int | None = None
    failures: list[int] = []
    for record in sorted((r for r in records if r.id > after), key=lambda r: r.id):
        # The status enum is not public API; its value is the stable, documented string.
        status = record.status.value
        if status == "PLANNED" and _run_active(instance, record.run_id):
            break
        if status == "FAILED":
            failures.append(record.id)
        newest = record.id
    return newest, failures


def _run_active(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.status in ACTIVE


drift_retrain_sensor = build_retrain_sensor(RETRAIN_CHECKS)
