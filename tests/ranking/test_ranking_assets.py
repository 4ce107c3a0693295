"""The ranker in the code location: registered and judged on every build, and user_creators in
its order only while its gate's latest word says it beats ALS alone."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.ranking import RANKER_MODEL
from recsys.models.tracking import TrackingConfig, champion, promote
from recsys.ranking.serving import SOURCE_PREFIX
from recsys.settings import Settings
from scripts.materialize_all import materialize_all

RANKER = dg.AssetKey(["models", "ranker"])
USER_CREATORS = dg.AssetKey(["recommendations", "user_creators"])


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, dg.DagsterInstance]]:
    from recsys.datagen import generate_platform
    from recsys.settings import DATA_DIR_VAR

    with pytest.MonkeyPatch.context() as env, dg.DagsterInstance.ephemeral() as instance:
        env.setenv(DATA_DIR_VAR, str(tmp_path_factory.mktemp("ranking_assets") / "data"))
        settings = Settings.from_env()
        generate_platform(settings.landing_dir, settings.truth_dir, scale="tiny", seed=5)
        results = materialize_all(instance, settings)
        assert all(result.success for result in results)
        yield settings, instance


def materialize(instance: dg.DagsterInstance, *keys: dg.AssetKey) -> dg.ExecuteInProcessResult:
    from definitions import defs

    job = defs().resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, asset_selection=list(keys))


def user_creators(settings: Settings) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute("SELECT * FROM recommendations.user_creators").df()


def metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()}


def gate(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [check] = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "ranker_quality_gate"
    ]
    return check


def test_a_ranker_that_does_not_beat_als_alone_leaves_the_table_in_als_order(built) -> None:
    settings, instance = built

    result = materialize(instance, RANKER, USER_CREATORS)

    verdict = gate(result)
    figures = metadata(result, RANKER)
    assert figures["ndcg_at_10"] < 1.02 * figures["als_ndcg_at_10"], "the tiny platform's ranker"
    assert not verdict.passed and verdict.severity == dg.AssetCheckSeverity.WARN
    assert "does not beat ALS alone" in verdict.metadata["reason"].value
    assert champion(TrackingConfig.local(settings.mlflow_dir), RANKER_MODEL) is None
    assert not user_creators(settings)["source"].str.startswith(SOURCE_PREFIX).any()
    assert "ALS order" in metadata(result, USER_CREATORS)["order"]


def test_a_promoted_ranker_orders_the_known_readers_and_the_tables_checks_pass(built) -> None:
    settings, instance = built
    tracking = TrackingConfig.local(settings.mlflow_dir)
    before = user_creators(settings)
    again = metadata(materialize(instance, RANKER), RANKER)
    version = again["model_version"]
    promote(tracking, RANKER_MODEL, version)

    result = materialize(instance, USER_CREATORS)

    after = user_creators(settings)
    ranked = after[after["source"].str.startswith(SOURCE_PREFIX)]
    assert again["reused_version"] is True, "the same inputs refit nothing"
    assert f"ranker version {version}" in metadata(result, USER_CREATORS)["order"]
    assert set(ranked["user_id"]) == set(before.loc[before["source"] == "als", "user_id"])
    cold = before[before["source"] == "popular_and_fresh"].sort_values(["user_id", "rank"])
    kept = after[after["source"] == "popular_and_fresh"].sort_values(["user_id", "rank"])
    pd.testing.assert_frame_equal(cold.reset_index(drop=True), kept.reset_index(drop=True))
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    assert failed == []


def test_feature_checks_that_stand_failed_stop_the_ranker_and_its_order(built) -> None:
    settings, instance = built
    from assets.ranking import feature_check_keys

    [check, *_] = feature_check_keys()
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=False)
    )

    result = materialize(instance, RANKER, USER_CREATORS)

    assert metadata(result, RANKER)["trained"] is False
    assert "stand failed" in metadata(result, USER_CREATORS)["order"]
    assert not user_creators(settings)["source"].str.startswith(SOURCE_PREFIX).any()
