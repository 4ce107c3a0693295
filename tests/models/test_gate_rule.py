"""The quality gate that decides whether a challenger may become the champion."""

from __future__ import annotations

import math

import pytest

from recsys.models.gate_rule import GatePolicy, judge

POLICY = GatePolicy("ndcg_at_10", min_lift_over_popularity=1.10, max_regression_vs_champion=0.02)
POPULARITY = {"ndcg_at_10": 0.10}


def test_passes_when_beating_popularity_by_the_lift_with_no_champion() -> None:
    decision = judge({"ndcg_at_10": 0.12}, POPULARITY, None, POLICY)

    assert decision.passed
    assert decision.lift_over_popularity == pytest.approx(1.2)
    assert decision.change_vs_champion is None


def test_blocked_below_the_lift_with_a_reason_naming_popularity_and_both_numbers() -> None:
    decision = judge({"ndcg_at_10": 0.105}, POPULARITY, None, POLICY)

    assert not decision.passed
    reason = decision.reasons[0]
    assert "popularity" in reason and "ndcg_at_10" in reason
    assert "0.1050" in reason and "0.1000" in reason and "1.10x" in reason


def test_blocked_when_regressing_beyond_tolerance_vs_champion() -> None:
    # 0.19 is 5% below the champion's 0.20; only 2% is tolerated.
    decision = judge({"ndcg_at_10": 0.19}, POPULARITY, {"ndcg_at_10": 0.20}, POLICY)

    assert not decision.passed
    assert decision.change_vs_champion == pytest.approx(-0.05)
    assert "champion 0.2000" in decision.reasons[-1] and "beyond" in decision.reasons[-1]


def test_passes_within_tolerance_vs_champion() -> None:
    # 0.197 is 1.5% below 0.20: retraining noise, not a regression.
    decision = judge({"ndcg_at_10": 0.197}, POPULARITY, {"ndcg_at_10": 0.20}, POLICY)

    assert decision.passed
    assert decision.change_vs_champion == pytest.approx(-0.015)


def test_beating_the_champion_still_needs_the_lift_over_popularity() -> None:
    decision = judge({"ndcg_at_10": 0.105}, POPULARITY, {"ndcg_at_10": 0.08}, POLICY)

    assert not decision.passed


def test_zero_popularity_gives_infinite_lift_to_any_positive_score() -> None:
    assert judge({"ndcg_at_10": 0.01}, {"ndcg_at_10": 0.0}, None, POLICY).lift_over_popularity == (
        math.inf
    )
    assert not judge({"ndcg_at_10": 0.0}, {"ndcg_at_10": 0.0}, None, POLICY).passed


def test_missing_metric_raises_naming_it() -> None:
    with pytest.raises(KeyError, match="ndcg_at_10"):
        judge({"recall_at_10": 0.3}, POPULARITY, None, POLICY)
    with pytest.raises(KeyError, match=r"champion.*ndcg_at_10"):
        judge({"ndcg_at_10": 0.3}, POPULARITY, {"map_at_10": 0.2}, POLICY)
