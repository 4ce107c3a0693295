"""A real-shaped history goes through every asset without code or config edits.

The irregular profile spans years, has days without delivery, bursts of 10x and very heavy users:
every asset materializes, and each check passes or warns with its reason; none blocks.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from recsys.datagen import generate_platform
from recsys.settings import DATA_DIR_VAR, Settings
from scripts.materialize_all import materialize_all


@pytest.fixture(scope="module")
def irregular_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[dg.ExecuteInProcessResult]]:
    with pytest.MonkeyPatch.context() as env, dg.DagsterInstance.ephemeral() as instance:
        env.setenv(DATA_DIR_VAR, str(tmp_path_factory.mktemp("irregular") / "data"))
        settings = Settings.from_env()
        generate_platform(
            settings.landing_dir, settings.truth_dir, scale="tiny", seed=7, profile="irregular"
        )
        yield materialize_all(instance, settings)


def checks(build: list[dg.ExecuteInProcessResult]) -> list[dg.AssetCheckEvaluation]:
    return [check for result in build for check in result.get_asset_check_evaluations()]


def test_every_asset_of_an_irregular_history_materializes(irregular_build) -> None:
    assert all(result.success for result in irregular_build)
    materialized = {
        event.asset_key.to_user_string()
        for result in irregular_build
        for event in result.get_asset_materialization_events()
    }
    assert {"raw/events", "models/als_model", "exports/product_database"} <= materialized


def test_no_check_blocks_an_irregular_history(irregular_build) -> None:
    blocking = [
        f"{check.asset_key.to_user_string()}:{check.check_name}"
        for check in checks(irregular_build)
        if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert blocking == []


def test_every_warning_on_an_irregular_history_gives_its_reason(irregular_build) -> None:
    warned = [check for check in checks(irregular_build) if not check.passed]
    for check in warned:
        assert check.severity == dg.AssetCheckSeverity.WARN
        reasons = {"warnings", "reason", "problems", "skipped", "summary"} & set(check.metadata)
        assert reasons, f"{check.check_name} on {check.asset_key} warns without a reason"


def test_the_gate_judges_an_irregular_history_on_enough_users(irregular_build) -> None:
    holdout = next(
        event.step_materialization_data.materialization
        for result in irregular_build
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["models", "als_holdout"])
    )
    assert holdout.metadata["users_evaluated"].value >= 100
