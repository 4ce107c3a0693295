"""Drift end to end on a real instance: drifted days fail a check, the sensor requests exactly one
retrain, and the retrain's gate decides the champion with its reasons; the same days undrifted
request nothing.

The topic_shift and undrifted scenarios share one timeline: a champion trained on 14 days, whose
lists serve three normal days (the band's trailing days) and then four drifted (or not) days.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from recsys.settings import DATA_DIR_VAR, TUNING_TRIALS_VAR, Settings
from scripts.drift_demo import ScenarioResult, run_scenario

TRAINED_DAYS = 14
NORMAL_DAYS = 17


def served_scenario(drift: str, data_dir: Path) -> ScenarioResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return run_scenario(
            instance,
            # No hyperparameter search: it is the models' tests' business, and here it would
            # only add its time budget to both fits.
            Settings.from_env({DATA_DIR_VAR: str(data_dir), TUNING_TRIALS_VAR: "0"}),
            "small",
            seed=7,
            normal_days=NORMAL_DAYS,
            drift=drift,
            trained_days=TRAINED_DAYS,
            score_served=True,
        )


@pytest.fixture(scope="module")
def topic_shift(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResult:
    return served_scenario("topic_shift", tmp_path_factory.mktemp("topic_shift") / "data")


@pytest.fixture(scope="module")
def undrifted(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResult:
    return served_scenario("none", tmp_path_factory.mktemp("undrifted") / "data")


def assert_the_gate_decided_the_champion(result: ScenarioResult) -> None:
    assert result.retrain is not None and result.gate is not None
    assert result.gate.metadata["reasons"].value
    expected = result.gate.metadata["candidate_version"].value
    if not result.gate.passed:
        expected = result.champion_before
    assert result.champion_after == expected


def test_drifted_days_fail_the_drift_check_and_trigger_exactly_one_retrain(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
    monkeypatch.setenv(TUNING_TRIALS_VAR, "0")
    settings = Settings.from_env()

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_scenario(instance, settings, "small", seed=7, normal_days=14)

    assert not result.drift_check.passed
    assert "event_type" in result.drift_check.metadata["drifted_columns"].value
    assert result.drift_check.metadata["report"].value.endswith(".html")
    assert result.requested_runs == 1
    assert result.requests_on_next_tick == 0
    assert_the_gate_decided_the_champion(result)


def test_readers_swapping_tastes_fail_taste_drift_not_feature_drift_and_retrain_once(
    topic_shift: ScenarioResult,
) -> None:
    result = topic_shift

    # The overall topic mix stays put: Evidently's marginals see nothing, each reader's mix moved.
    assert result.drift_check.passed
    assert result.taste_check is not None and not result.taste_check.passed
    assert result.taste_check.metadata["overall_topic_divergence"].value < 0.05
    assert result.requested_runs == 1
    assert result.requests_on_next_tick == 0
    assert "taste_drift" in result.failed_evaluations
    assert_the_gate_decided_the_champion(result)


def test_served_quality_is_judged_every_day_after_training_and_falls_with_the_drift(
    topic_shift: ScenarioResult,
) -> None:
    result = topic_shift

    quality = result.served_quality
    creators = quality[quality["table_name"] == "user_creators"].set_index("day")["ndcg"]
    assert len(creators) == 7 and len(result.served_checks) == 7
    drifted = creators.index > pd.Timestamp(2026, 9, NORMAL_DAYS)
    assert creators[drifted].max() < creators[~drifted].min()
    assert result.served_check_failures
    assert set(quality["table_name"]) == {
        "user_creators",
        "user_posts",
        "notification_candidates",
    }


def test_the_same_days_undrifted_pass_every_check_and_request_no_retrain(
    undrifted: ScenarioResult,
) -> None:
    result = undrifted

    assert result.drift_check.passed
    assert result.drift_check.metadata["drifted_columns"].value == "none"
    assert result.taste_check is not None and result.taste_check.passed
    assert len(result.served_checks) == 7
    assert result.served_check_failures == []
    assert result.requested_runs == 0
    assert result.requests_on_next_tick == 0
    assert result.retrain is None
    assert result.champion_after == result.champion_before is not None
