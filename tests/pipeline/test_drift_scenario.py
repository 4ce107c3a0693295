"""Drift end to end on a real instance: drifted days fail the drift check, the sensor requests
exactly one retrain, and the retrain's gate decides the champion with its reasons."""

from __future__ import annotations

import dagster as dg
import pytest

from recsys.settings import DATA_DIR_VAR, Settings
from scripts.drift_demo import run_scenario


def test_drifted_days_fail_the_drift_check_and_trigger_exactly_one_retrain(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
    settings = Settings.from_env()

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_scenario(instance, settings, "small", seed=7, normal_days=14)

    assert not result.drift_check.passed
    assert "event_type" in result.drift_check.metadata["drifted_columns"].value
    assert result.drift_check.metadata["report"].value.endswith(".html")
    assert result.requested_runs == 1
    assert result.requests_on_next_tick == 0
    assert result.retrain is not None and result.gate is not None
    assert result.gate.metadata["reasons"].value
    expected = result.gate.metadata["candidate_version"].value
    if not result.gate.passed:
        expected = result.champion_before
    assert result.champion_after == expected


def test_the_same_days_undrifted_pass_the_drift_check_and_request_no_retrain(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_VAR, str(tmp_path / "data"))
    settings = Settings.from_env()

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_scenario(instance, settings, "small", seed=7, normal_days=14, drift="none")

    assert result.drift_check.passed
    assert result.drift_check.metadata["drifted_columns"].value == "none"
    assert result.requested_runs == 0
    assert result.requests_on_next_tick == 0
    assert result.retrain is None
    assert result.champion_after == result.champion_before is not None
