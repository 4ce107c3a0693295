"""The daily volume rule: bursty histories pass by default, the demo's faults do not, gaps are no
zero-volume days, and the knobs (band, window, minimum, mode) do what they say."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from recsys.quality.volume import VolumeRule, judge_volume, missing_day_problem

DAY = "2026-09-09"
# The tiny demo platform's eight days before its fault day (tests/pipeline's FAULT_DAY).
TINY_WEEK = [870, 1_009, 952, 887, 760, 770, 907, 853]
BOT_EVENTS = 5_000  # recsys.datagen.faults.BOT_EVENTS


def bursty_series(days: int = 240, seed: int = 3) -> list[int]:
    """A real-looking history: weekday/weekend rhythm, noise, 10x bursts and quiet stretches
    (a fifth of the usual volume) recurring every few weeks."""
    rng = np.random.default_rng(seed)
    volume = 2_000 * np.where(np.arange(days) % 7 >= 5, 0.8, 1.0)
    volume *= rng.lognormal(0, 0.25, days)
    for start in range(3, days, 17):
        volume[start] *= 10  # a burst
    for start in range(9, days, 23):
        volume[start : start + 3] *= 0.2  # a quiet stretch
    return [int(v) for v in volume]


def verdicts(series: list[int], rule: VolumeRule) -> list:
    return [
        judge_volume(f"day {i}", rows, series[max(0, i - rule.window_days) : i], rule)
        for i, rows in enumerate(series)
    ]


def test_a_bursty_history_with_tenfold_days_and_quiet_days_passes_by_default() -> None:
    series = bursty_series()
    median = float(np.median(series))
    assert max(series) > 8 * median and min(series) < 0.3 * median

    judged = verdicts(series, VolumeRule())

    assert [v.problem for v in judged if v.problem] == []
    assert sum(v.judged for v in judged) > 200


def test_the_old_rule_on_the_same_history_would_have_failed_many_days() -> None:
    """0.5x-2x the trailing 7-day median, the rule this one replaced."""
    series = bursty_series()
    failed = [
        i
        for i in range(7, len(series))
        if not 0.5 <= series[i] / np.median(series[i - 7 : i]) <= 2.0
    ]

    assert len(failed) > 20


def test_the_demo_bot_flood_is_flagged_and_warns_by_default() -> None:
    verdict = judge_volume(DAY, 933 + BOT_EVENTS, TINY_WEEK, VolumeRule())

    assert verdict.problem and "the trailing median" in verdict.problem
    assert "busiest" in verdict.problem
    assert not verdict.blocking


def test_in_block_mode_a_flagged_day_blocks() -> None:
    verdict = judge_volume(DAY, 933 + BOT_EVENTS, TINY_WEEK, VolumeRule(mode="block"))

    assert verdict.problem and verdict.blocking


def test_an_empty_delivery_always_blocks_naming_the_trailing_median() -> None:
    for mode in ("warn", "block"):
        verdict = judge_volume(DAY, 0, TINY_WEEK, VolumeRule(mode=mode))

        assert verdict.blocking
        assert verdict.problem and "0.00x the trailing median" in verdict.problem
    assert judge_volume(DAY, 0, [], VolumeRule()).blocking


def test_a_day_like_its_trailing_days_passes() -> None:
    verdict = judge_volume(DAY, 1_050, TINY_WEEK, VolumeRule())

    assert verdict.problem is None and verdict.judged
    assert verdict.low == pytest.approx(0.2 * 760) and verdict.high == pytest.approx(5 * 1_009)


def test_a_first_burst_on_a_steady_platform_is_flagged_and_a_narrower_band_flags_less() -> None:
    steady = [1_000] * 28

    assert judge_volume(DAY, 10_000, steady, VolumeRule()).problem
    assert judge_volume(DAY, 10_000, steady, VolumeRule(max_ratio=12)).problem is None
    assert judge_volume(DAY, 1_900, steady, VolumeRule(max_ratio=1.5)).problem


def test_the_window_decides_which_bursts_widen_the_band() -> None:
    history = [10_000] + [1_000] * 20  # a burst 21 days ago

    assert judge_volume(DAY, 9_000, history, VolumeRule(window_days=28)).problem is None
    assert judge_volume(DAY, 9_000, history[-14:], VolumeRule(window_days=14)).problem


def test_below_the_minimum_volume_or_a_week_of_history_nothing_is_judged() -> None:
    small = judge_volume(DAY, 500, [40, 50, 60, 45, 55, 50, 52], VolumeRule())
    young = judge_volume(DAY, 9_000, [1_000, 1_100, 900], VolumeRule())

    assert not small.judged and small.problem is None
    assert not young.judged and young.problem is None
    assert judge_volume(DAY, 500, [40, 50, 60, 45, 55, 50, 52], VolumeRule(min_rows=10)).problem


def test_days_without_delivery_are_left_out_of_the_trailing_days() -> None:
    with_gaps = [1_000, 0, 1_100, 0, 0, 900, 1_000, 950, 1_050, 1_000]

    verdict = judge_volume(DAY, 1_000, with_gaps, VolumeRule())

    assert verdict.judged and verdict.problem is None
    assert verdict.median == pytest.approx(1_000)
    assert verdict.low == pytest.approx(0.2 * 900)


def test_a_missing_day_is_a_gap_unless_missing_days_are_set_to_fail() -> None:
    assert missing_day_problem(DAY, VolumeRule()) is None
    problem = missing_day_problem(DAY, VolumeRule(missing_days="fail"))
    assert problem and f"date={DAY}" in problem


@pytest.mark.parametrize(
    "knobs",
    [{"min_ratio": 1.5}, {"max_ratio": 0.5}, {"window_days": 0}, {"mode": "stop"}],
)
def test_impossible_knobs_are_refused(knobs: dict) -> None:
    with pytest.raises(ValueError):
        VolumeRule(**knobs)


def test_the_default_rule_is_the_settings_default() -> None:
    from recsys.settings import Settings

    assert Settings.from_env({}).volume_rule == VolumeRule()
    assert dt.date(2026, 9, 1) == Settings.from_env({}).event_partitions_start([])
