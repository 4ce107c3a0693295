"""A contract failure in the ingestion run stops the later refresh until the data comes again."""

import datetime as dt
import shutil

import dagster as dg

from recsys.datagen.faults import apply_fault
from recsys.ingest.landing import day_folder
from recsys.settings import Settings

FIRST_DAY, FAULT_DAY = dt.date(2026, 9, 1), dt.date(2026, 9, 9)
DBT_LAYERS = dg.AssetSelection.groups("staging", "intermediate", "marts")


def ingest(definitions, instance, first: dt.date, last: dt.date) -> dg.ExecuteInProcessResult:
    return definitions.resolve_job_def("ingest_events").execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )


def refresh_staging(definitions, instance) -> dg.ExecuteInProcessResult:
    """The refresh job's dbt step: the recommendation tables would need trained models."""
    dbt_keys = DBT_LAYERS.resolve(definitions.resolve_asset_graph())
    return definitions.resolve_job_def("refresh").execute_in_process(
        instance=instance, asset_selection=list(dbt_keys), raise_on_error=False
    )


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [event for event in result.all_events if event.is_step_failure]
    return failure.step_failure_data.user_failure_data.description


def test_a_failed_day_blocks_the_next_refresh_until_it_is_delivered_again(
    tiny_platform: Settings, tmp_path
) -> None:
    from definitions import defs

    definitions = defs()
    clean_copy = tmp_path / "clean_day"
    shutil.copytree(day_folder(tiny_platform.landing_dir, FAULT_DAY), clean_copy)
    apply_fault(tiny_platform.landing_dir, "orphan_events", FAULT_DAY, seed=1)
    with dg.DagsterInstance.ephemeral() as instance:
        assert (
            definitions.resolve_job_def("load_dimensions")
            .execute_in_process(instance=instance)
            .success
        )
        assert ingest(definitions, instance, FIRST_DAY, FAULT_DAY - dt.timedelta(days=1)).success
        ingest(definitions, instance, FAULT_DAY, FAULT_DAY)

        blocked = refresh_staging(definitions, instance)

        assert not blocked.success
        message = failure_message(blocked)
        assert "raw/events:data_contract failed on 2026-09-09" in message
        assert "known user and post" in message
        assert not blocked.get_asset_materialization_events()

        shutil.rmtree(day_folder(tiny_platform.landing_dir, FAULT_DAY))
        shutil.copytree(clean_copy, day_folder(tiny_platform.landing_dir, FAULT_DAY))
        assert ingest(definitions, instance, FAULT_DAY, FAULT_DAY).success

        refreshed = refresh_staging(definitions, instance)

        assert refreshed.success
        assert refreshed.get_asset_materialization_events()


def test_a_later_clean_day_does_not_clear_an_earlier_failed_one(tiny_platform: Settings) -> None:
    from definitions import defs

    definitions = defs()
    apply_fault(tiny_platform.landing_dir, "duplicate_events", FAULT_DAY, seed=1)
    with dg.DagsterInstance.ephemeral() as instance:
        assert (
            definitions.resolve_job_def("load_dimensions")
            .execute_in_process(instance=instance)
            .success
        )
        ingest(definitions, instance, FIRST_DAY, FAULT_DAY)
        next_day = FAULT_DAY + dt.timedelta(days=1)
        assert ingest(definitions, instance, next_day, next_day).success

        blocked = refresh_staging(definitions, instance)

        assert not blocked.success
        assert "failed on 2026-09-09 in run" in failure_message(blocked)
        assert "events.event_id is unique" in failure_message(blocked)
