"""Each generated fault is stopped at ingestion: by the loader (naming the file) or by the named
data-contract check on raw/events (naming the table, column and expectation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from recsys.datagen import generate_platform
from recsys.datagen.faults import apply_fault
from resources import Settings
from resources.settings import DATA_DIR_VAR

FAULT_DAY = dt.date(2026, 9, 9)
# What the check's report must mention for each fault caught by the data contract.
CAUGHT_BY_CHECK = {
    "duplicate_events": "events.event_id is unique",
    "null_keys": "user_id",
    "orphan_events": "known user and post",
    "future_timestamps": "event_at",
    "unknown_event_types": "event_type",
    "bot_flood": "trailing median",
    "empty_day": "trailing median",
}
# Faults that make the file unloadable: the load fails and names the file.
CAUGHT_BY_LOADER = {
    "truncated_file": "Cannot read landing file",
    "missing_column": "lacks column(s) dwell_seconds",
    "wrong_types": "user_id as BIGINT",
}


@pytest.fixture
def platform(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
    settings = Settings.from_env()
    generate_platform(settings.landing_dir, settings.truth_dir, scale="tiny", seed=5)
    yield settings


def ingest_through_fault_day(settings: Settings) -> dg.ExecuteInProcessResult:
    """Load the dimension tables, then the week up to and including the faulty day in one run."""
    from definitions import defs

    definitions = defs()
    with dg.DagsterInstance.ephemeral() as instance:
        dimensions = definitions.resolve_job_def("load_dimensions")
        assert dimensions.execute_in_process(instance=instance).success
        return definitions.resolve_job_def("ingest_events").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": "2026-09-01",
                "dagster/asset_partition_range_end": FAULT_DAY.isoformat(),
            },
        )


def contract_evaluation(result: dg.ExecuteInProcessResult):
    [evaluation] = [
        check
        for check in result.get_asset_check_evaluations()
        if check.check_name == "data_contract"
    ]
    return evaluation


def test_a_clean_week_passes_the_data_contract(platform: Settings) -> None:
    result = ingest_through_fault_day(platform)

    assert result.success
    assert contract_evaluation(result).passed


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY_CHECK))
def test_a_fault_fails_the_named_data_contract_check(platform: Settings, fault: str) -> None:
    apply_fault(platform.landing_dir, fault, FAULT_DAY, seed=1)

    evaluation = contract_evaluation(ingest_through_fault_day(platform))

    assert not evaluation.passed
    assert CAUGHT_BY_CHECK[fault] in evaluation.metadata["problems"].value


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY_LOADER))
def test_an_unloadable_file_fails_the_load_naming_the_file(platform: Settings, fault: str) -> None:
    apply_fault(platform.landing_dir, fault, FAULT_DAY, seed=1)

    result = ingest_through_fault_day(platform)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert CAUGHT_BY_LOADER[fault] in message
    assert f"date={FAULT_DAY.isoformat()}" in message
