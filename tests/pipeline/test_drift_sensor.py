"""The retrain sensor on a real instance: one retrain per failed evaluation of feature drift, taste
drift or served quality, one cursor per check, none while a retrain runs, none otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from sensors.drift import (
    DRIFT_CHECK,
    RETRAIN_CHECKS,
    SERVED_QUALITY_CHECK,
    TASTE_CHECK,
    drift_retrain_sensor,
    read_cursor,
)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def report_drift(
    instance: dg.DagsterInstance, drifted: bool, check: dg.AssetCheckKey = DRIFT_CHECK
) -> None:
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=check.asset_key,
            check_name=check.name,
            passed=not drifted,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"drift_share": 0.5 if drifted else 0.0},
        )
    )


def tick(instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = drift_retrain_sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], cursor
    return list(result.run_requests or []), result.cursor


def test_a_failed_drift_check_requests_exactly_one_retrain(instance) -> None:
    report_drift(instance, drifted=True)

    requests, cursor = tick(instance, None)
    again, _ = tick(instance, cursor)

    assert len(requests) == 1
    assert requests[0].run_key.startswith("drift-")
    assert again == []


def test_a_passing_drift_check_requests_nothing(instance) -> None:
    report_drift(instance, drifted=False)

    requests, cursor = tick(instance, None)

    assert requests == []
    assert cursor is not None


def test_each_new_failed_evaluation_requests_its_own_retrain(instance) -> None:
    report_drift(instance, drifted=True)
    first, cursor = tick(instance, None)
    report_drift(instance, drifted=True)
    second, _ = tick(instance, cursor)

    assert len(first) == len(second) == 1
    assert first[0].run_key != second[0].run_key


def test_no_retrain_is_requested_while_one_is_running(instance) -> None:
    from definitions import defs

    job = defs().resolve_job_def("retrain")
    instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED)
    report_drift(instance, drifted=True)

    requests, cursor = tick(instance, None)

    assert requests == []
    assert cursor is None


def test_the_sensor_watches_feature_drift_taste_drift_and_served_quality() -> None:
    assert {key.name for key in RETRAIN_CHECKS} == {
        "feature_drift",
        "taste_drift",
        "served_quality_band",
    }


@pytest.mark.parametrize("check", [TASTE_CHECK, SERVED_QUALITY_CHECK])
def test_a_failed_taste_or_served_quality_check_requests_exactly_one_retrain(
    instance, check: dg.AssetCheckKey
) -> None:
    report_drift(instance, drifted=True, check=check)

    requests, cursor = tick(instance, None)
    again, _ = tick(instance, cursor)

    assert len(requests) == 1
    assert check.name in requests[0].tags["failed_evaluations"]
    assert again == []


def test_failures_of_several_checks_seen_in_one_tick_request_one_retrain(instance) -> None:
    for check in RETRAIN_CHECKS:
        report_drift(instance, drifted=True, check=check)

    requests, cursor = tick(instance, None)

    assert len(requests) == 1
    assert set(read_cursor(cursor)) == {key.to_user_string() for key in RETRAIN_CHECKS}


def test_each_check_keeps_its_own_cursor(instance) -> None:
    report_drift(instance, drifted=True, check=DRIFT_CHECK)
    first, cursor = tick(instance, None)
    report_drift(instance, drifted=False, check=TASTE_CHECK)
    passed, cursor = tick(instance, cursor)
    report_drift(instance, drifted=True, check=SERVED_QUALITY_CHECK)
    second, cursor = tick(instance, cursor)
    third, _ = tick(instance, cursor)

    assert len(first) == 1 and passed == [] and len(second) == 1 and third == []
    assert "served_quality_band" in second[0].tags["failed_evaluations"]
    assert "feature_drift" not in second[0].tags["failed_evaluations"]


def test_every_failed_evaluation_since_the_last_tick_is_handled_by_one_retrain(instance) -> None:
    # A backfill of served-quality days evaluates the check once per day between two ticks.
    report_drift(instance, drifted=True, check=SERVED_QUALITY_CHECK)
    report_drift(instance, drifted=False, check=SERVED_QUALITY_CHECK)

    requests, cursor = tick(instance, None)
    again, _ = tick(instance, cursor)

    assert len(requests) == 1
    assert again == []


def test_a_cursor_of_the_first_version_still_counts_as_feature_drift(instance) -> None:
    report_drift(instance, drifted=True)
    record = instance.get_latest_asset_check_evaluation_record(DRIFT_CHECK)
    assert record is not None

    requests, _ = tick(instance, str(record.id))

    assert requests == []
    assert read_cursor(str(record.id)) == {DRIFT_CHECK.to_user_string(): record.id}


@dg.op
def step() -> None:
    """A step of the stand-in job below."""


@dg.job
def running_job() -> None:
    step()


def test_an_evaluation_still_planned_in_a_running_run_is_waited_for(instance) -> None:
    from dagster._core.events import (
        AssetCheckEvaluationPlanned,
        DagsterEvent,
        DagsterEventType,
    )

    # A run (standing in for a refresh) whose taste_drift check is planned, not judged yet.
    run = instance.create_run_for_job(job_def=running_job, status=dg.DagsterRunStatus.STARTED)
    planned = AssetCheckEvaluationPlanned(
        asset_key=TASTE_CHECK.asset_key, check_name=TASTE_CHECK.name
    )
    instance.report_dagster_event(
        DagsterEvent(
            DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value,
            job_name=run.job_name,
            event_specific_data=planned,
        ),
        run_id=run.run_id,
    )

    waiting, cursor = tick(instance, None)
    instance.report_dagster_event(
        DagsterEvent(
            DagsterEventType.ASSET_CHECK_EVALUATION.value,
            job_name=run.job_name,
            event_specific_data=dg.AssetCheckEvaluation(
                asset_key=TASTE_CHECK.asset_key,
                check_name=TASTE_CHECK.name,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
            ),
        ),
        run_id=run.run_id,
    )
    requests, _ = tick(instance, cursor)

    assert waiting == [] and cursor is None
    assert len(requests) == 1
