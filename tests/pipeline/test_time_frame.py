"""The time frame comes from the settings: the event partitions' start, days without delivery,
the volume rule's mode, and the dbt vars and windows each setting moves."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace

import dagster as dg
import duckdb
import pytest

from recsys.ingest.landing import complete_event_days, day_folder
from recsys.settings import FIRST_EVENT_DAY_VAR, Settings

FIRST_DAY = dt.date(2026, 9, 1)
GAP_DAY = dt.date(2026, 9, 4)
TINY_LAST_DAY = dt.date(2026, 9, 14)


def ingest(settings: Settings, first: dt.date, last: dt.date) -> dg.ExecuteInProcessResult:
    from definitions import build_definitions

    definitions = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        dimensions = definitions.resolve_job_def("load_dimensions")
        assert dimensions.execute_in_process(instance=instance).success
        return definitions.resolve_job_def("ingest_events").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
            },
        )


def loaded_days(settings: Settings) -> list[dt.date]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        rows = conn.execute("SELECT DISTINCT event_date FROM raw.events ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def test_a_history_before_the_configured_start_is_refused_naming_it_before_anything_loads(
    tiny_platform: Settings,
) -> None:
    from scripts.materialize_all import materialize_all

    settings = replace(tiny_platform, first_event_day=dt.date(2026, 9, 5))

    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(SystemExit, match=FIRST_EVENT_DAY_VAR) as refused:
            materialize_all(instance, settings)
        assert instance.get_runs() == []

    assert "the earliest 2026-09-01" in str(refused.value)
    assert not settings.warehouse_path.exists()  # no dimension table was replaced


def test_unset_the_start_is_the_landing_zones_earliest_day_or_the_demos() -> None:
    settings = Settings.from_env({})

    assert settings.event_partitions_start([]) == FIRST_DAY
    assert settings.event_partitions_start([dt.date(2024, 1, 8)]) == dt.date(2024, 1, 8)
    assert settings.event_partitions_start([dt.date(2027, 1, 1)]) == FIRST_DAY
    chosen = Settings.from_env({FIRST_EVENT_DAY_VAR: "2025-03-01"})
    assert chosen.event_partitions_start([dt.date(2024, 1, 8)]) == dt.date(2025, 3, 1)


def test_the_event_partitions_start_where_the_settings_say(tiny_platform: Settings) -> None:
    from definitions import build_definitions

    earlier = replace(tiny_platform, first_event_day=dt.date(2025, 1, 1))
    definitions = build_definitions(earlier)
    partitions = definitions.resolve_assets_def(dg.AssetKey(["raw", "events"])).partitions_def

    assert partitions is not None
    assert partitions.get_first_partition_key() == "2025-01-01"


def test_a_backfill_over_a_landing_zone_with_a_gap_loads_the_days_that_exist(
    tiny_platform: Settings,
) -> None:
    shutil.rmtree(day_folder(tiny_platform.landing_dir, GAP_DAY))

    result = ingest(tiny_platform, FIRST_DAY, TINY_LAST_DAY)

    assert result.success
    assert loaded_days(tiny_platform) == complete_event_days(tiny_platform.landing_dir)
    assert GAP_DAY not in loaded_days(tiny_platform)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert evaluation.metadata["days_without_delivery"].value == [GAP_DAY.isoformat()]
    [materialization] = [
        m for m in result.get_asset_materialization_events() if m.partition == FIRST_DAY.isoformat()
    ]
    metadata = materialization.step_materialization_data.materialization.metadata
    assert metadata["days_without_delivery"].value == 1


def test_a_gap_fails_the_contract_when_missing_days_are_set_to_fail(
    tiny_platform: Settings,
) -> None:
    shutil.rmtree(day_folder(tiny_platform.landing_dir, GAP_DAY))

    result = ingest(replace(tiny_platform, volume_missing_days="fail"), FIRST_DAY, GAP_DAY)

    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert f"date={GAP_DAY.isoformat()}" in evaluation.metadata["problems"].value


def test_the_history_resource_carries_each_setting_to_its_dbt_var_and_window() -> None:
    from assets.dbt import dbt_vars
    from resources import History

    settings = Settings.from_env(
        {
            "CREATOR_DISCOVERY_BOT_MAX_EVENTS_PER_DAY": "40",
            "CREATOR_DISCOVERY_HOLDOUT_DAYS": "3",
            "CREATOR_DISCOVERY_NEW_CREATOR_DAYS": "90",
            "CREATOR_DISCOVERY_FRESH_POST_DAYS": "2.5",
            "CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS": "30",
            "CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS": "60",
            "CREATOR_DISCOVERY_VOLUME_MODE": "block",
        }
    )
    history = History.from_settings(settings)

    chosen = dbt_vars("/w.duckdb", {"holdout_days": None}, history.dbt_vars())
    assert chosen == {
        "warehouse_path": "/w.duckdb",
        "bot_max_events_per_day": 40,
        "holdout_days": 3,
        "new_creator_days": 90,
        "recent_activity_days": 7,
        "split_protocol": "per_user",
    }
    # A run's override still wins over the setting.
    assert dbt_vars("/w", {"holdout_days": 5}, history.dbt_vars())["holdout_days"] == 5
    assert (history.fresh_post_days, history.drift_current_days) == (2.5, 30)
    assert history.drift_reference_days == 60
    assert history.volume_rule().mode == "block"
