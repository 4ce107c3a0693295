"""The served-quality band: a day fails only when it falls clearly below its trailing days."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recsys.monitoring.band import QualityBand, judge_day

DAY = dt.date(2026, 10, 20)


def history(values: list[float], readers: int = 1_000, table: str = "user_creators"):
    """One row per day ending on DAY, oldest first."""
    first = DAY - dt.timedelta(days=len(values) - 1)
    return pd.DataFrame(
        {
            "day": [first + dt.timedelta(days=i) for i in range(len(values))],
            "table_name": table,
            "readers_judged": readers,
            "ndcg": values,
        }
    )


TRAILING = [0.20, 0.21, 0.19, 0.20, 0.22, 0.18, 0.20]


def test_a_day_like_its_trailing_days_passes() -> None:
    [verdict] = judge_day(history([*TRAILING, 0.19]), DAY)

    assert verdict.judged and verdict.passed
    assert verdict.center == pytest.approx(0.20)
    assert verdict.trailing_days == 7
    assert "within" in verdict.reason


def test_a_day_far_below_its_trailing_days_fails() -> None:
    [verdict] = judge_day(history([*TRAILING, 0.10]), DAY)

    assert verdict.judged and not verdict.passed
    assert verdict.lower > 0.10
    assert "below" in verdict.reason


def test_the_band_width_is_a_parameter() -> None:
    [strict] = judge_day(history([*TRAILING, 0.17]), DAY, QualityBand(width=1.0))
    [lenient] = judge_day(history([*TRAILING, 0.17]), DAY, QualityBand(width=3.0))

    assert not strict.passed
    assert lenient.passed


def test_identical_trailing_days_do_not_turn_sampling_noise_into_an_alarm() -> None:
    # On 400 readers, 0.19 against 0.20 is well within one day's sampling error.
    [verdict] = judge_day(history([0.20] * 7 + [0.19], readers=400), DAY)

    assert verdict.passed


def test_a_slow_decline_of_a_few_percent_a_day_is_not_a_fall() -> None:
    # Near-identical trailing days, each a little lower: lists ageing between refreshes.
    ageing = [0.500, 0.495, 0.490, 0.485]

    [verdict] = judge_day(history([*ageing, 0.455], readers=5_000), DAY)

    assert verdict.passed
    assert verdict.lower == pytest.approx(0.4925 * (1 - 3 * 0.05))


def test_only_the_trailing_window_makes_the_band() -> None:
    old_and_low = [0.05] * 10
    values = [*old_and_low, *TRAILING, 0.10]

    [verdict] = judge_day(history(values), DAY, QualityBand(trailing_days=7))

    assert verdict.trailing_days == 7
    assert not verdict.passed


def test_without_enough_trailing_days_a_day_is_not_judged() -> None:
    [verdict] = judge_day(history([0.20, 0.20, 0.01]), DAY)

    assert not verdict.judged and verdict.passed
    assert "2 trailing day(s)" in verdict.reason


def test_a_day_with_too_few_readers_is_not_judged() -> None:
    rows = history([*TRAILING, 0.01])
    rows.loc[rows.index[-1], "readers_judged"] = 5

    [verdict] = judge_day(rows, DAY)

    assert not verdict.judged and verdict.passed
    assert "5 readers" in verdict.reason


def test_days_without_delivery_shorten_the_evidence_rather_than_stretch_the_window() -> None:
    rows = history([*TRAILING, 0.10])
    gap = rows["day"].isin([DAY - dt.timedelta(days=i) for i in range(2, 8)])

    [verdict] = judge_day(rows[~gap], DAY, QualityBand(trailing_days=7))

    assert verdict.trailing_days == 1
    assert not verdict.judged


def test_each_table_is_judged_against_its_own_days() -> None:
    rows = pd.concat(
        [history([*TRAILING, 0.19]), history([0.5] * 7 + [0.2], table="user_posts")],
        ignore_index=True,
    )

    verdicts = {verdict.table: verdict for verdict in judge_day(rows, DAY)}

    assert verdicts["user_creators"].passed
    assert not verdicts["user_posts"].passed


def test_a_lasting_fall_is_flagged_on_its_first_day_only() -> None:
    rows = history([*TRAILING, 0.10, 0.10])

    [first] = judge_day(rows, DAY - dt.timedelta(days=1))
    [second] = judge_day(rows, DAY)

    assert not first.passed
    assert second.judged and second.passed
