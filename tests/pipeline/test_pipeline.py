"""The whole graph on small generated data in a temporary folder.

It materializes, every check passes, the recommendation tables come from the champion, and a bad
challenger never reaches them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import dagster as dg
import duckdb
import pandas as pd
import pytest
from support import REPO

from recsys.datagen import generate_platform
from recsys.ingest.landing import complete_event_days
from recsys.models.tracking import TrackingConfig, champion
from recsys.settings import DATA_DIR_VAR, Settings
from scripts.materialize_all import materialize_all

ALS = "creator-discovery-als"
MODELS = (ALS, "creator-discovery-content")
TABLE_GROUPS = ("raw", "staging", "intermediate", "marts", "recommendations")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(DATA_DIR_VAR, str(tmp_path_factory.mktemp("platform") / "data"))
        settings = Settings.from_env()
        generate_platform(settings.landing_dir, settings.truth_dir, scale="small", seed=3)
        yield settings


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture(scope="module")
def first_build(platform: Settings, instance: dg.DagsterInstance):
    return materialize_all(instance, platform)


def table(settings: Settings, name: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(f"SELECT * FROM {name}").df()


def sorted_table(settings: Settings, name: str, keys: list[str]) -> pd.DataFrame:
    return table(settings, name).sort_values(keys).reset_index(drop=True)


def retrain(run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    from definitions import defs

    job = defs().resolve_job_def("retrain")
    return job.execute_in_process(run_config=run_config or {}, raise_on_error=False)


def test_every_asset_materializes_and_every_check_passes(first_build) -> None:
    assert all(result.success for result in first_build)
    checks = [check for result in first_build for check in result.get_asset_check_evaluations()]
    failed = [(c.asset_key.to_user_string(), c.check_name) for c in checks if not c.passed]
    assert checks and failed == []
    materialized = {
        event.asset_key.to_user_string()
        for result in first_build
        for event in result.get_asset_materialization_events()
    }
    assert {
        "raw/events",
        "marts/interactions_train",
        "models/als_model",
        "indexes/post_index",
        "recommendations/user_creators",
        "recommendations/similar_posts",
    } <= materialized


def test_every_table_asset_reports_its_row_count_and_schema(first_build) -> None:
    for result in first_build:
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            name = materialization.asset_key.to_user_string()
            if name.split("/")[0] in TABLE_GROUPS:
                assert "dagster/row_count" in materialization.metadata, name
                assert "dagster/column_schema" in materialization.metadata, name


def test_recommendation_tables_preview_a_few_subjects_by_name_and_title(
    platform: Settings, first_build
) -> None:
    creator_names = set(table(platform, "staging.stg_creators")["creator_name"])
    post_titles = set(table(platform, "staging.stg_posts")["title"])
    previews = {
        event.asset_key.path[-1]: event.step_materialization_data.materialization.metadata[
            "preview"
        ].value
        for result in first_build
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "recommendations"
    }

    assert set(previews) == {
        "feed_creators",
        "user_creators",
        "user_posts",
        "notification_candidates",
        "similar_creators",
        "similar_posts",
    }
    for name, preview in previews.items():
        cells = {cell.strip() for line in preview.splitlines()[2:] for cell in line.split("|")}
        labels = post_titles if "post" in name or "notification" in name else creator_names
        assert len(preview.splitlines()) > 2, name
        assert cells & {label[:59] for label in labels}, name


def test_recommendation_tables_are_built_from_the_champion(platform: Settings, first_build) -> None:
    record = champion(TrackingConfig.local(platform.mlflow_dir), ALS)

    assert record is not None
    for name in ("user_creators", "user_posts"):
        versions = table(platform, f"recommendations.{name}")["model_version"].unique()
        assert versions.tolist() == [record.version], name


def test_no_user_is_recommended_a_creator_they_subscribe_to(platform: Settings, first_build):
    recommended = table(platform, "recommendations.user_creators")
    subscribed = table(platform, "staging.stg_subscriptions").query("is_active")

    leaks = recommended.merge(subscribed, on=["user_id", "creator_id"])
    assert len(subscribed) > 0
    assert leaks.empty


def registered_versions(settings: Settings) -> dict[str, int]:
    from mlflow import MlflowClient

    client = MlflowClient(TrackingConfig.local(settings.mlflow_dir).tracking_uri)
    return {name: len(client.search_model_versions(f"name = '{name}'")) for name in MODELS}


def export_metadata(results: list[dg.ExecuteInProcessResult]) -> dict:
    [export] = [
        event.step_materialization_data.materialization.metadata
        for result in results
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["exports", "product_database"])
    ]
    return export


def test_materializing_again_on_the_same_data_registers_and_exports_nothing_new(
    platform: Settings, instance: dg.DagsterInstance, first_build
) -> None:
    from definitions import defs

    versions = registered_versions(platform)
    champions = {name: champion(TrackingConfig.local(platform.mlflow_dir), name) for name in MODELS}

    second_build = materialize_all(instance, platform)

    assert all(result.success for result in second_build)
    assert registered_versions(platform) == versions
    for name, before in champions.items():
        after = champion(TrackingConfig.local(platform.mlflow_dir), name)
        assert before is not None and after is not None and after.version == before.version
    first, second = export_metadata(first_build), export_metadata(second_build)
    assert (first["status"].value, second["status"].value) == ("succeeded", "unchanged")
    assert second["export_version"].value == first["export_version"].value
    rollback = defs().resolve_job_def("rollback_export").execute_in_process(raise_on_error=False)
    assert not rollback.success
    [failure] = [event for event in rollback.all_events if event.is_step_failure]
    assert "no previous version" in failure.step_failure_data.user_failure_data.description


def test_a_bad_challenger_is_blocked_and_champion_and_tables_stay(
    platform: Settings, first_build
) -> None:
    tracking = TrackingConfig.local(platform.mlflow_dir)
    before = champion(tracking, ALS)
    tables_before = sorted_table(platform, "recommendations.user_creators", ["user_id", "rank"])

    result = retrain({"ops": {"models__als_holdout": {"config": {"factors": 1, "iterations": 1}}}})

    gate = [c for c in result.get_asset_check_evaluations() if c.check_name == "als_quality_gate"]
    assert len(gate) == 1 and not gate[0].passed
    assert "does not beat popularity" in gate[0].metadata["reasons"].value
    assert champion(tracking, ALS).version == before.version
    after = sorted_table(platform, "recommendations.user_creators", ["user_id", "rank"])
    pd.testing.assert_frame_equal(after, tables_before)


def test_retraining_on_the_same_inputs_reuses_the_version_and_keeps_the_tables(
    platform: Settings, first_build
) -> None:
    keys = {"user_creators": ["user_id", "rank"], "user_posts": ["user_id", "rank"]}
    before = {
        name: sorted_table(platform, f"recommendations.{name}", k) for name, k in keys.items()
    }

    result = retrain()

    assert result.success
    for name, key in keys.items():
        after = sorted_table(platform, f"recommendations.{name}", key)
        pd.testing.assert_frame_equal(after, before[name])


def test_analysts_query_a_complete_snapshot_while_a_retrain_rewrites_the_tables(
    platform: Settings, first_build, tmp_path
) -> None:
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "support" / "snapshot_reader.py"),
            str(platform.analytics_dir),
            str(stop),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        result = retrain()
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)

    reads = [json.loads(line) for line in output.splitlines()]
    assert result.success
    assert dg.AssetKey(["analytics", "snapshot"]) in {
        event.asset_key for event in result.get_asset_materialization_events()
    }
    assert [read for read in reads if "error" in read] == []
    assert all(read["complete"] for read in reads)
    assert len({read["snapshot"] for read in reads}) == 2, "the old snapshot, then the new one"
    assert len(reads) > 20


def test_every_example_query_in_the_analysts_guide_runs_on_the_snapshot(
    platform: Settings, first_build
) -> None:
    from recsys.publish.snapshots import attach, current

    guide = (REPO / "docs" / "analysts.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", guide, flags=re.DOTALL)
    conn = duckdb.connect()
    attach(conn, current(platform.analytics_dir))

    assert len(queries) >= 5
    for query in queries:
        assert len(conn.sql(query.replace("user_id = 42", "user_id = 1")).fetchall()) > 0, query


RECOMMENDATION_TABLES = (
    "user_creators",
    "user_posts",
    "notification_candidates",
    "similar_creators",
    "similar_posts",
)


def run_export(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    from definitions import defs

    return (
        defs().resolve_job_def("export").execute_in_process(instance=instance, raise_on_error=False)
    )


def test_the_build_exports_every_recommendation_table_to_the_embedded_database(
    platform: Settings, first_build
) -> None:
    import sqlite3

    [export] = [
        event.step_materialization_data.materialization
        for event in first_build[-1].get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["exports", "product_database"])
    ]
    assert export.metadata["status"].value == "succeeded"
    with sqlite3.connect(platform.data_dir / "product.db") as product:
        for name in RECOMMENDATION_TABLES:
            [(rows,)] = product.execute(f"SELECT count(*) FROM {name}").fetchall()
            assert rows == len(table(platform, f"recommendations.{name}")), name


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test server, a schema of its own, and a password that must never be shown."""
    import uuid

    import psycopg

    schema = f"pipeline_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres:hunter2@127.0.0.1:5432/test?schema={schema}"
    monkeypatch.setenv("CREATOR_DISCOVERY_PRODUCT_DB_URL", url)
    yield url
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_the_export_goes_to_postgresql_when_its_url_is_set_and_hides_the_password(
    platform: Settings, first_build, postgres_url: str, capfd
) -> None:
    import psycopg

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_export(instance)
        logs = [event.message or "" for event in instance.all_logs(result.run_id)]

    assert result.success
    # The export job also records what is served (exports/served_history).
    [export] = [
        event
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["exports", "product_database"])
    ]
    metadata = export.step_materialization_data.materialization.metadata
    assert metadata["target"].value.startswith("postgresql://postgres:***@127.0.0.1")
    schema = postgres_url.rsplit("=", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as conn:
        for name in RECOMMENDATION_TABLES:
            [(rows,)] = conn.execute(f"SELECT count(*) FROM {schema}.{name}").fetchall()
            assert rows == len(table(platform, f"recommendations.{name}")), name
    shown = "\n".join(logs) + str(metadata) + "".join(capfd.readouterr())
    assert "export version" in shown
    assert "hunter2" not in shown


def test_no_export_while_a_check_on_a_recommendation_table_stands_failed(
    platform: Settings, first_build, postgres_url: str
) -> None:
    import psycopg

    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(["recommendations", "user_posts"]),
                check_name="no_opened_posts",
                passed=False,
            )
        )
        result = run_export(instance)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "Refusing to export" in message
    assert "recommendations/user_posts:no_opened_posts failed" in message
    schema = postgres_url.rsplit("=", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as conn:
        [(tables,)] = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema]
        ).fetchall()
    assert tables == 0, "the product database is left untouched"


def test_the_rollback_job_makes_the_previous_export_live_again(
    platform: Settings, first_build
) -> None:
    import sqlite3

    from definitions import defs
    from recsys.publish.export import export_status, sqlite_url

    url = sqlite_url(platform.data_dir / "product.db")
    # Another seed is another model: a retrain on the same inputs would reuse the version.
    other_seed = {"ops": {"models__als_holdout": {"config": {"seed": 11}}}}
    assert retrain(other_seed).success, "a retrain with other inputs exports a new version"
    before = export_status(url).live

    with dg.DagsterInstance.ephemeral() as instance:
        rollback = defs().resolve_job_def("rollback_export").execute_in_process(instance=instance)

    after = export_status(url).live
    assert rollback.success
    assert before.replaced_version is not None
    assert (after.version, after.replaced_version) == (before.replaced_version, before.version)
    with sqlite3.connect(platform.data_dir / "product.db") as product:
        served = {row[0] for row in product.execute("SELECT model_version FROM user_creators")}
    assert served == set(after.model_versions["user_creators"])


def test_materializing_an_event_partition_twice_keeps_one_copy(platform: Settings) -> None:
    from definitions import defs

    day = complete_event_days(platform.landing_dir)[0].isoformat()
    ingest = defs().resolve_job_def("ingest_events")
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            assert ingest.execute_in_process(instance=instance, partition_key=day).success

    loaded = table(platform, "raw.events").query("event_date == @pd.Timestamp(@day)")
    day_files = f"{platform.landing_dir}/events/date={day}/*.parquet"
    [(landed,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{day_files}')").fetchall()
    assert landed > 0
    assert len(loaded) == landed == loaded["event_id"].nunique()
