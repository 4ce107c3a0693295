"""Each generated fault is stopped at ingestion: by the loader (naming the file) or by the named
data-contract check of the damaged raw table (naming the table, column and expectation)."""

from __future__ import annotations

import datetime as dt
import re

import dagster as dg
import pytest

from recsys.datagen.dimension_faults import DIMENSION_FAULTS, apply_dimension_fault
from recsys.datagen.faults import apply_fault
from recsys.ingest.landing import DIMENSION_TABLES
from recsys.settings import Settings

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
    "day_without_marker": "has no _SUCCESS marker",
    "stray_file": "which the loader does not read",
    "fractional_ids": "post_id as BIGINT",
    "nan_dwell": "dwell_seconds as DOUBLE",
}


def ingest_through_fault_day(
    settings: Settings, first: str = "2026-09-01"
) -> dg.ExecuteInProcessResult:
    """Load the dimension tables, then the week up to and including the faulty day in one run."""
    from definitions import build_definitions

    definitions = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        dimensions = definitions.resolve_job_def("load_dimensions")
        assert dimensions.execute_in_process(instance=instance).success
        return definitions.resolve_job_def("ingest_events").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": first,
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


def test_a_clean_week_passes_the_data_contract(tiny_platform: Settings) -> None:
    result = ingest_through_fault_day(tiny_platform)

    assert result.success
    assert contract_evaluation(result).passed


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY_CHECK))
def test_a_fault_fails_the_named_data_contract_check(tiny_platform: Settings, fault: str) -> None:
    apply_fault(tiny_platform.landing_dir, fault, FAULT_DAY, seed=1)

    evaluation = contract_evaluation(ingest_through_fault_day(tiny_platform))

    assert not evaluation.passed
    said = evaluation.metadata["problems"].value + evaluation.metadata["warnings"].value
    assert CAUGHT_BY_CHECK[fault] in said
    # Only the volume rule's flag on a non-empty day warns by default; every other fault blocks.
    warns = fault == "bot_flood"
    assert evaluation.severity == (
        dg.AssetCheckSeverity.WARN if warns else dg.AssetCheckSeverity.ERROR
    )


def test_in_block_mode_the_bot_flood_blocks_the_day(tiny_platform: Settings) -> None:
    from dataclasses import replace

    apply_fault(tiny_platform.landing_dir, "bot_flood", FAULT_DAY, seed=1)

    result = ingest_through_fault_day(replace(tiny_platform, volume_mode="block"))

    evaluation = contract_evaluation(result)
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "trailing median" in evaluation.metadata["problems"].value
    assert evaluation.metadata["failed_days"].value == [FAULT_DAY.isoformat()]


def test_a_misnamed_day_folder_fails_the_ingest_of_that_day_naming_it(
    tiny_platform: Settings,
) -> None:
    apply_fault(tiny_platform.landing_dir, "bad_day_folder", FAULT_DAY, seed=1)

    alone = ingest_through_fault_day(tiny_platform, first=FAULT_DAY.isoformat())

    assert not alone.success
    [failure] = [event for event in alone.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "No landing file for table 'events'" in message
    assert f"date={FAULT_DAY.isoformat()}" in message


def test_in_a_backfill_a_misnamed_day_folder_is_a_day_without_delivery(
    tiny_platform: Settings,
) -> None:
    apply_fault(tiny_platform.landing_dir, "bad_day_folder", FAULT_DAY, seed=1)

    result = ingest_through_fault_day(tiny_platform)

    assert result.success
    evaluation = contract_evaluation(result)
    assert evaluation.metadata["days_without_delivery"].value == [FAULT_DAY.isoformat()]


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY_LOADER))
def test_an_unloadable_file_fails_the_load_naming_the_file(
    tiny_platform: Settings, fault: str
) -> None:
    apply_fault(tiny_platform.landing_dir, fault, FAULT_DAY, seed=1)

    result = ingest_through_fault_day(tiny_platform)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert CAUGHT_BY_LOADER[fault] in message
    assert f"date={FAULT_DAY.isoformat()}" in message


# Dimension faults caught by the data contract of their raw table: the expectation that fails.
DIMENSION_CAUGHT_BY_CHECK = {
    "duplicate_users": ("users.user_id is unique", "expect_column_values_to_be_unique"),
    "null_post_creators": ("posts.creator_id is not null", "expect_column_values_to_not_be_null"),
    "unknown_subscription_tier": (
        "subscriptions.tier is one of free, paid",
        "expect_column_values_to_be_in_set",
    ),
}
# Dimension faults that make the delivery unloadable: what the load's error says.
DIMENSION_CAUGHT_BY_LOADER = {
    "creators_missing_column": "lacks column(s) category",
    "creators_wrong_types": "stores created_at as text",
    "header_only_dimension": "holds no rows",
}
RAW_DIMENSIONS = {dg.AssetKey(["raw", contract.name]) for contract in DIMENSION_TABLES}


def load_dimensions() -> dg.ExecuteInProcessResult:
    from definitions import defs

    with dg.DagsterInstance.ephemeral() as instance:
        job = defs().resolve_job_def("load_dimensions")
        return job.execute_in_process(instance=instance, raise_on_error=False)


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def test_clean_dimension_deliveries_pass_their_data_contracts(tiny_platform: Settings) -> None:
    result = load_dimensions()

    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {evaluation.asset_key for evaluation in evaluations} == RAW_DIMENSIONS
    assert all(evaluation.passed for evaluation in evaluations)


def test_dimension_faults_cover_the_check_or_the_loader() -> None:
    assert set(DIMENSION_FAULTS) == set(DIMENSION_CAUGHT_BY_CHECK) | set(DIMENSION_CAUGHT_BY_LOADER)


@pytest.mark.parametrize("fault", sorted(DIMENSION_CAUGHT_BY_CHECK))
def test_a_dimension_fault_fails_the_data_contract_of_its_table(
    tiny_platform: Settings, fault: str
) -> None:
    report = apply_dimension_fault(tiny_platform.landing_dir, fault, seed=1)
    damaged = dg.AssetKey(["raw", report.table])

    result = load_dimensions()

    verdicts = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    assert {key for key, evaluation in verdicts.items() if not evaluation.passed} == {damaged}
    evaluation = verdicts[damaged]
    assert evaluation.check_name == "data_contract"
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["errors"].value >= 1
    summary = evaluation.metadata["summary"].value
    name, expectation_type = DIMENSION_CAUGHT_BY_CHECK[fault]
    failed = next(line for line in summary.splitlines() if name in line)
    assert expectation_type in failed and failed.lstrip().startswith("[error]")
    # The ids it names are keys the fault touched.
    named_ids = re.search(r"e\.g\. ids \[([\d, ]+)\]", failed)
    assert named_ids and {int(i) for i in named_ids.group(1).split(",")} <= set(report.ids)
    # The run loaded the dimension tables (the damaged one included) and nothing downstream.
    assert materialized(result) == RAW_DIMENSIONS


@pytest.mark.parametrize("fault", sorted(DIMENSION_CAUGHT_BY_LOADER))
def test_an_unloadable_dimension_delivery_fails_its_load_naming_the_file(
    tiny_platform: Settings, fault: str
) -> None:
    report = apply_dimension_fault(tiny_platform.landing_dir, fault, seed=1)
    damaged = dg.AssetKey(["raw", report.table])

    result = load_dimensions()

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert DIMENSION_CAUGHT_BY_LOADER[fault] in message
    assert str(report.files[0].parent) in message and report.files[0].name in message
    assert materialized(result) == RAW_DIMENSIONS - {damaged}
    assert damaged not in {e.asset_key for e in result.get_asset_check_evaluations()}


def steps_downstream_in_run(
    result: dg.ExecuteInProcessResult, graph, roots: set[dg.AssetKey]
) -> set[str]:
    """The steps of the run that build an asset depending on `roots` through the run's assets."""
    layer = result.job_def.asset_layer
    selected = layer.selected_asset_keys
    reached: set[dg.AssetKey] = set()
    frontier = set(roots)
    while frontier:
        frontier = {c for key in frontier for c in graph.get(key).child_keys if c in selected}
        frontier -= reached
        reached |= frontier
    return {layer.get_op_output_handle(key).node_handle.path[-1] for key in reached}


def test_a_failed_dimension_contract_stops_everything_downstream_in_its_run(
    tiny_platform: Settings,
) -> None:
    from definitions import defs

    apply_dimension_fault(tiny_platform.landing_dir, "duplicate_users", seed=1)
    definitions = defs()

    with dg.DagsterInstance.ephemeral() as instance:
        result = definitions.resolve_job_def("refresh").execute_in_process(
            instance=instance, raise_on_error=False
        )

    failed = [e.asset_key for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == [dg.AssetKey(["raw", "users"])]
    assert materialized(result) == RAW_DIMENSIONS
    # Not even started: a dbt build here would materialize nothing either (raw.events is not
    # loaded), so only the steps' starts tell the block from a failure.
    downstream = steps_downstream_in_run(result, definitions.resolve_asset_graph(), RAW_DIMENSIONS)
    started = {
        e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START
    }
    assert {"dbt_models", "recommendations__user_creators"} <= downstream
    assert not started & downstream


def test_validation_leaves_out_gx_batch_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    """GX would hash the whole frame twice per validation; on text that was most of the check."""
    import pandas as pd

    from recsys.quality import suite, validate

    def fingerprint(*args, **kwargs):
        raise AssertionError("GX fingerprinted the batch")

    monkeypatch.setattr(pd.util, "hash_pandas_object", fingerprint)
    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "signup_at": pd.to_datetime(["2026-01-01"] * 2),
            "country": ["DE", "FR"],
        }
    )

    assert validate(users, "users", suite("users"), "user_id").passed


def test_a_text_column_holding_a_number_still_fails_its_type_naming_the_row() -> None:
    """Text columns are handed to GX as pandas strings only when every value is a str."""
    import pandas as pd

    from recsys.quality import suite, validate

    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "signup_at": pd.to_datetime(["2026-01-01"] * 3),
            "country": ["DE", 49, "FR"],
        }
    )

    report = validate(users, "users", suite("users"), "user_id")

    [failure] = report.errors
    assert failure.name == "users.country is VARCHAR"
    assert failure.offending_ids == [2]
