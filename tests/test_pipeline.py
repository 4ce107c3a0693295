"""The whole graph materializes on tiny generated data, in a temporary data folder."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from recsys.datagen import generate_platform
from recsys.landing import complete_event_days
from resources import Settings
from scripts.materialize_all import materialize_all


@pytest.fixture
def tiny_platform(project_settings: Settings) -> Settings:
    generate_platform(
        project_settings.landing_dir, project_settings.truth_dir, scale="tiny", seed=3
    )
    return project_settings


def test_every_asset_materializes_on_tiny_data_and_every_check_passes(
    tiny_platform: Settings,
) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        results = materialize_all(instance, tiny_platform)

    assert all(result.success for result in results)
    materialized = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization
        for result in results
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    assert {"raw/events", "staging/stg_events", "marts/interactions_train"} <= set(materialized)
    for name, materialization in materialized.items():
        assert "dagster/row_count" in materialization.metadata, name
        assert "dagster/column_schema" in materialization.metadata, name
    checks = [check for result in results for check in result.get_asset_check_evaluations()]
    assert checks and all(check.passed for check in checks)
    with duckdb.connect(str(tiny_platform.warehouse_path), read_only=True) as conn:
        for mart in ("user_features", "creator_features", "post_features", "interactions_train"):
            count = conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()
            assert count and count[0] > 0, mart


def test_materializing_an_event_partition_twice_keeps_one_copy(tiny_platform: Settings) -> None:
    from definitions import defs

    day = complete_event_days(tiny_platform.landing_dir)[0].isoformat()
    ingest = defs().resolve_job_def("ingest_events")
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            assert ingest.execute_in_process(instance=instance, partition_key=day).success

    with duckdb.connect(str(tiny_platform.warehouse_path), read_only=True) as conn:
        loaded = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM raw.events"
        ).fetchone()
    day_files = f"{tiny_platform.landing_dir}/events/date={day}/*.parquet"
    [(landed,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{day_files}')").fetchall()
    assert landed > 0
    assert loaded == (landed, landed)
