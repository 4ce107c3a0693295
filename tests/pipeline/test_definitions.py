"""The code location: it loads fast, shows every group, and describes every asset."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg
import pytest
from support import REPO

from assets.dbt import dbt_build_args
from definitions import defs

PROJECT_ROOT = REPO
HEAVY_MODULES = ("great_expectations", "evidently", "mlflow", "sklearn")


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_the_asset_graph_has_the_raw_and_dbt_groups(definitions: dg.Definitions) -> None:
    groups = {spec.group_name for spec in definitions.resolve_all_asset_specs()}

    assert {"raw", "staging", "intermediate", "marts"} <= groups


def test_dbt_sources_are_the_raw_assets_and_models_follow_them(
    definitions: dg.Definitions,
) -> None:
    graph = definitions.resolve_asset_graph()
    stg_events = dg.AssetKey(["staging", "stg_events"])

    assert dg.AssetKey(["raw", "events"]) in graph.get(stg_events).parent_keys
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} >= {
        "raw/users",
        "raw/creators",
        "raw/posts",
        "raw/subscriptions",
        "raw/events",
        "intermediate/int_user_creator_interactions",
        "marts/user_features",
        "marts/creator_features",
        "marts/post_features",
        "marts/interactions_train",
        "marts/interactions_holdout",
    }


def test_every_asset_has_a_description_an_owner_and_kinds(definitions: dg.Definitions) -> None:
    for spec in definitions.resolve_all_asset_specs():
        name = spec.key.to_user_string()
        assert spec.description, f"{name} has no description"
        assert spec.owners, f"{name} has no owner"
        assert spec.kinds, f"{name} has no kinds"


def test_dbt_tests_appear_as_asset_checks(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}

    assert ("staging/stg_events", "unique_stg_events_event_id") in checks
    assert any(asset == "marts/interactions_train" for asset, _ in checks)


def test_raw_events_are_partitioned_by_day(definitions: dg.Definitions) -> None:
    events = definitions.resolve_assets_def(dg.AssetKey(["raw", "events"]))

    assert isinstance(events.partitions_def, dg.DailyPartitionsDefinition)


def test_loading_the_code_location_imports_no_heavy_library() -> None:
    probe = (
        "import sys, json, definitions; definitions.defs(); "
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_dbt_build_args_pass_the_warehouse_and_only_the_overrides_that_are_set() -> None:
    args = dbt_build_args("/tmp/w.duckdb", {"decay_half_life_days": 7.0, "split_cutoff": None})

    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {"warehouse_path": "/tmp/w.duckdb", "decay_half_life_days": 7.0}
