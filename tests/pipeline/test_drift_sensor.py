"""The drift sensor on a real instance: one retrain per failed drift evaluation, none otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from sensors.drift import DRIFT_CHECK, drift_retrain_sensor


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def report_drift(instance: dg.DagsterInstance, drifted: bool) -> None:
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=DRIFT_CHECK.asset_key,
            check_name=DRIFT_CHECK.name,
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
