"""Scoring sharded by reader: the parts of N user shards assemble into the tables one unsharded
run writes, on a real warehouse (generated platform, raw load, dbt) of both generator profiles."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from support.dbt_harness import run_dbt

from assets.models import ALS_MODEL
from recsys.datagen import generate_platform
from recsys.ingest.landing import DIMENSION_TABLES, complete_event_days
from recsys.ingest.raw_loading import load_dimension_table, load_event_days
from recsys.models.als import AlsFactors, AlsParams
from recsys.models.training import fit_serving_als
from recsys.serving.inputs import read_creator_inputs, read_feed_inputs
from recsys.serving.shards import (
    FEED_CREATORS,
    SHARDED_TABLES,
    USER_CREATORS,
    USER_POSTS,
    ScoringParams,
    Shard,
    assemble,
    complete_parts,
    part_path,
    part_stamp,
    read_shard_inputs,
    score_shard,
    shard_stamp,
    write_parts,
)
from recsys.serving.user_tables import FeedParams, feed_creators, user_creators_table, user_posts
from recsys.settings import (
    DATA_DIR_VAR,
    LANDING_DIR_VAR,
    SCORING_SHARDS_VAR,
    WAREHOUSE_VAR,
    Settings,
)
from recsys.warehouse import connect

PARAMS = ScoringParams(creators_per_user=20, posts_per_user=20, feed=FeedParams())
VERSION = 3
KEYS = {table: ["user_id", "rank"] for table in (USER_CREATORS, FEED_CREATORS, USER_POSTS)}


@dataclass(frozen=True)
class Platform:
    warehouse: Path
    factors: AlsFactors


@pytest.fixture(scope="module", params=["default", "irregular"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Platform:
    """A tiny generated platform loaded and built by dbt, and ALS fit on its interactions."""
    root = tmp_path_factory.mktemp(f"shards_{request.param}")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    generate_platform(landing, root / "truth", "tiny", seed=5, profile=request.param)
    with duckdb.connect(str(warehouse)) as conn:
        for contract in DIMENSION_TABLES:
            load_dimension_table(conn, contract, landing)
        load_event_days(conn, landing, complete_event_days(landing))
    built = run_dbt("build", warehouse, root / "dbt")
    assert built.returncode == 0, built.output[-3000:]
    with connect(warehouse, read_only=True) as conn:
        interactions = conn.execute(
            "SELECT user_id, creator_id, strength FROM intermediate.int_user_creator_interactions"
        ).df()
    return Platform(warehouse, fit_serving_als(interactions, AlsParams()))


def unsharded(platform: Platform) -> dict[str, pd.DataFrame]:
    """The tables as assets/recommendations.py computes them, in one step for every user."""
    with connect(platform.warehouse, read_only=True) as conn:
        creators, feed = read_creator_inputs(conn), read_feed_inputs(conn)
    tables = {
        USER_CREATORS: user_creators_table(platform.factors, creators, PARAMS.creators_per_user),
        FEED_CREATORS: feed_creators(platform.factors, feed.users, PARAMS.feed),
    }
    tables[USER_POSTS] = user_posts(
        tables[FEED_CREATORS],
        feed.users,
        feed.posts,
        feed.seen,
        feed.as_of,
        PARAMS.posts_per_user,
        PARAMS.feed,
    )
    return {name: table.assign(model_version=np.int32(VERSION)) for name, table in tables.items()}


def served(warehouse: Path, table: str) -> pd.DataFrame:
    with connect(warehouse, read_only=True) as conn:
        return conn.execute(f"SELECT * FROM recommendations.{table}").df()


def in_order(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return table.sort_values(keys).reset_index(drop=True)


def run_shards(platform: Platform, folder: Path, count: int) -> None:
    """Each shard as its partition runs it: read its readers, score, write its own parts."""
    for shard in Shard.all(count):
        with connect(platform.warehouse, read_only=True) as conn:
            inputs = read_shard_inputs(conn, shard)
        stamp = shard_stamp(inputs, shard, VERSION, PARAMS)
        write_parts(folder, shard, score_shard(platform.factors, inputs, PARAMS, VERSION), stamp)


def complete_and_assemble(platform: Platform, folder: Path, count: int) -> list[int]:
    """The assembling step: current parts kept, others scored; the shards it scored itself."""
    with connect(platform.warehouse, read_only=True) as conn:
        _kept, scored = complete_parts(
            conn, lambda: platform.factors, VERSION, PARAMS, folder, count
        )
    with connect(platform.warehouse) as conn:
        assemble(conn, folder, count, "recommendations")
    return scored


def test_every_reader_falls_in_exactly_one_shard() -> None:
    users = np.arange(1_000, 1_997)

    membership = np.stack([shard.holds(users) for shard in Shard.all(4)])

    assert (membership.sum(axis=0) == 1).all()
    assert membership[3].tolist() == (users % 4 == 3).tolist()
    with pytest.raises(ValueError, match="shard 4 does not exist among 4 shards"):
        Shard(4, 4)


def test_the_shard_count_is_a_setting_of_at_least_one() -> None:
    assert Settings.from_env({}).scoring_shards == 1
    assert Settings.from_env({SCORING_SHARDS_VAR: "8"}).scoring_shards == 8
    with pytest.raises(ValueError, match=SCORING_SHARDS_VAR):
        Settings.from_env({SCORING_SHARDS_VAR: "0"})


def test_each_reader_is_read_into_the_shard_that_holds_them_negative_ids_included(
    tmp_path: Path,
) -> None:
    users = [-7, -4, -1, 0, 2, 5, 9]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
        conn.execute("CREATE TABLE marts.user_features (user_id BIGINT, is_bot BOOLEAN)")
        conn.executemany("INSERT INTO marts.user_features VALUES (?, false)", [[u] for u in users])
        conn.execute(
            "CREATE TABLE staging.stg_subscriptions AS "
            "SELECT user_id, 1 AS creator_id, true AS is_active FROM marts.user_features"
        )
        conn.execute(
            "CREATE TABLE staging.stg_events AS SELECT user_id, 10 AS post_id, "
            "TIMESTAMP '2026-10-01' AS event_at FROM marts.user_features"
        )
        conn.execute("CREATE TABLE marts.creator_features AS SELECT 1 AS creator_id")
        conn.execute(
            "CREATE TABLE marts.post_features AS SELECT 10 AS post_id, 1 AS creator_id, "
            "TIMESTAMP '2026-09-30' AS published_at, 1 AS n_distinct_readers"
        )
        read = {shard: read_shard_inputs(conn, shard) for shard in Shard.all(3)}

    for shard, inputs in read.items():
        expected = sorted(u for u in users if shard.holds(np.array([u]))[0])
        assert sorted(inputs.creators.users.tolist()) == expected
        assert sorted(inputs.creators.subscribed["user_id"]) == expected
        assert sorted(inputs.feed.seen["user_id"]) == expected
    assert sorted(u for inputs in read.values() for u in inputs.creators.users) == users


@pytest.mark.parametrize("count", [2, 3])
def test_assembled_shards_hold_exactly_the_rows_of_one_unsharded_run(
    platform: Platform, tmp_path: Path, count: int
) -> None:
    expected = unsharded(platform)

    run_shards(platform, tmp_path / "parts", count)
    scored_by_assembly = complete_and_assemble(platform, tmp_path / "parts", count)

    assert scored_by_assembly == []
    for table in SHARDED_TABLES:
        got = served(platform.warehouse, table)
        assert list(got.columns) == list(expected[table].columns)
        assert len(got) == len(expected[table]) > 0
        pd.testing.assert_frame_equal(
            in_order(got, KEYS[table]), in_order(expected[table], KEYS[table]), check_dtype=True
        )


def test_each_part_holds_only_its_shards_readers(platform: Platform, tmp_path: Path) -> None:
    run_shards(platform, tmp_path, 3)

    for shard in Shard.all(3):
        for table in SHARDED_TABLES:
            part = pd.read_parquet(part_path(tmp_path, shard, table))
            assert len(part) > 0
            assert shard.holds(part["user_id"]).all()


def test_without_shard_runs_the_assembly_scores_every_shard_itself(
    platform: Platform, tmp_path: Path
) -> None:
    scored = complete_and_assemble(platform, tmp_path, 3)

    assert scored == [0, 1, 2]
    expected = unsharded(platform)[USER_POSTS]
    pd.testing.assert_frame_equal(
        in_order(served(platform.warehouse, USER_POSTS), KEYS[USER_POSTS]),
        in_order(expected, KEYS[USER_POSTS]),
    )


def test_a_part_scored_by_another_model_version_is_scored_again(
    platform: Platform, tmp_path: Path
) -> None:
    run_shards(platform, tmp_path, 2)
    stale = Shard(1, 2)
    with connect(platform.warehouse, read_only=True) as conn:
        inputs = read_shard_inputs(conn, stale)
    old = score_shard(platform.factors, inputs, PARAMS, VERSION - 1)
    write_parts(tmp_path, stale, old, shard_stamp(inputs, stale, VERSION - 1, PARAMS))

    scored = complete_and_assemble(platform, tmp_path, 2)

    assert scored == [1]
    assert set(served(platform.warehouse, USER_CREATORS)["model_version"]) == {VERSION}


def test_a_part_scored_before_a_reader_subscribed_is_scored_again(
    platform: Platform, tmp_path: Path
) -> None:
    run_shards(platform, tmp_path, 2)
    before = {shard.index: part_stamp(tmp_path, shard, USER_CREATORS) for shard in Shard.all(2)}
    # A reader of shard 0 subscribes to the creator ranked first for them.
    part = pd.read_parquet(part_path(tmp_path, Shard(0, 2), USER_CREATORS))
    [reader, creator] = part.query("rank == 1 and source == 'als'").iloc[0][
        ["user_id", "creator_id"]
    ]
    with connect(platform.warehouse) as conn:
        columns = [c for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'staging' AND table_name = 'stg_subscriptions'"
        ).fetchall()]  # fmt: skip
        row = conn.execute("SELECT * FROM staging.stg_subscriptions LIMIT 1").df()
        row = row.assign(user_id=reader, creator_id=creator, is_active=True)[columns]
        conn.register("subscription", row)
        conn.execute("INSERT INTO staging.stg_subscriptions SELECT * FROM subscription")

    try:
        scored = complete_and_assemble(platform, tmp_path, 2)
        after = {shard.index: part_stamp(tmp_path, shard, USER_CREATORS) for shard in Shard.all(2)}
        table = served(platform.warehouse, USER_CREATORS)
    finally:
        with connect(platform.warehouse) as conn:
            conn.execute(
                "DELETE FROM staging.stg_subscriptions WHERE user_id = ? AND creator_id = ?",
                [int(reader), int(creator)],
            )

    assert scored == [0]
    assert after[0] != before[0] and after[1] == before[1]
    assert table.query("user_id == @reader and creator_id == @creator").empty


def backfill(keys: list[dg.AssetKey], partitions: list[str]) -> list[tuple[dg.DagsterRun, list]]:
    """Launch an asset backfill of `keys` over `partitions` as the UI's Materialize does, and run
    the backfill daemon's iterations until it is done: its runs, with their events, oldest first.

    Dagster exposes no public API for this; these are the functions its daemon and its own tests
    use (dagster 1.13, locked).
    """
    import logging

    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.instance_for_test import instance_for_test
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import ModuleTarget
    from dagster._daemon.backfill import execute_backfill_iteration

    from recsys.settings import PROJECT_ROOT

    location = ModuleTarget("definitions", None, str(PROJECT_ROOT), "creator_discovery")
    # Runs start as soon as the backfill asks for them (no queue daemon here).
    coordinator = {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"}
    with (
        instance_for_test(overrides={"run_coordinator": coordinator}) as instance,
        create_test_daemon_workspace_context(location, instance) as workspace,
    ):
        request = PartitionBackfill.from_asset_partitions(
            backfill_id="shards",
            asset_graph=workspace.create_request_context().asset_graph,
            partition_names=partitions,
            asset_selection=keys,
            backfill_timestamp=time.time(),
            tags={},
            dynamic_partitions_store=instance,
            all_partitions=False,
            title=None,
            description=None,
            run_config=None,
        )
        instance.add_backfill(request)
        while True:
            list(execute_backfill_iteration(workspace, logging.getLogger("backfill")))
            status = instance.get_backfill("shards").status
            if status != BulkActionStatus.REQUESTED:
                break
            time.sleep(1)
        # The backfill completes only once every run it launched has finished.
        assert status == BulkActionStatus.COMPLETED_SUCCESS, status
        return [
            (run, instance.get_records_for_run(run.run_id).records)
            for run in reversed(instance.get_runs())
        ]


# Orchestration, not data: one generator profile is enough (each run is a process of its own).
@pytest.mark.parametrize("platform", ["default"], indirect=True)
def test_a_backfill_of_sharded_scoring_runs_each_shard_then_assembles_their_parts_once(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assets.shards import SHARD_PARTS
    from recsys.models.tracking import log_training_run, promote, register_version

    for name, value in {
        DATA_DIR_VAR: str(tmp_path / "data"),
        LANDING_DIR_VAR: str(platform.warehouse.parent / "landing"),
        WAREHOUSE_VAR: str(platform.warehouse),
        SCORING_SHARDS_VAR: "2",
    }.items():
        monkeypatch.setenv(name, value)
    tracking = Settings.from_env().mlflow_tracking
    model = tmp_path / "model"
    model.mkdir()
    platform.factors.save(model / "factors.npz")
    run_id = log_training_run(tracking, "als", {}, {}, model)
    version = register_version(tracking, ALS_MODEL, run_id)
    promote(tracking, ALS_MODEL, version)
    tables = [dg.AssetKey(["recommendations", table]) for table in SHARDED_TABLES]

    runs = backfill([SHARD_PARTS, *tables], ["0", "1"])

    planned = [
        (run.tags.get("dagster/partition"), sorted(run.asset_selection or []), run.is_success)
        for run, _ in runs
    ]
    assert planned == [
        ("0", [SHARD_PARTS], True),
        ("1", [SHARD_PARTS], True),
        (None, sorted(tables), True),
    ]
    _, assembly = runs[-1]
    materialized = [
        record.event_log_entry.asset_materialization
        for record in assembly
        if record.event_log_entry.asset_materialization is not None
    ]
    assert {m.asset_key for m in materialized} == set(tables)
    for materialization in materialized:
        assert materialization.metadata["shards_from_parts"].value == 2
        assert materialization.metadata["shards_scored_here"].value == 0
    checks = [
        record.event_log_entry.dagster_event.event_specific_data
        for record in assembly
        if record.event_log_entry.dagster_event is not None
        and record.event_log_entry.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    ranked = {c.asset_key for c in checks if c.check_name == "ranks_contiguous_and_scores_sorted"}
    assert ranked == set(tables)
    assert all(check.passed for check in checks)
    expected = unsharded(platform)
    for table in SHARDED_TABLES:
        want = expected[table].assign(model_version=np.int32(version))
        pd.testing.assert_frame_equal(
            in_order(served(platform.warehouse, table), KEYS[table]), in_order(want, KEYS[table])
        )
