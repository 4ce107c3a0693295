"""The daily volume rule: a day of events against the range of its trailing delivered days.

A day is judged against the days delivered in the `window_days` before it (days without a delivery
are not zeros: they are left out). It is flagged when it is busier than `max_ratio` times the
busiest of them or quieter than `min_ratio` times the quietest. The band follows the platform's own
spread: on a steady platform it stays tight around the median, on a bursty one the recent bursts
and quiet days widen it, so recurring 10x days pass while a flood on a steady platform does not.
It judges nothing below `min_rows` (the trailing median) or before `MIN_HISTORY_DAYS` delivered
days, where a band would be noise. A flag warns or blocks by `mode`; a delivered day holding no
event at all is a broken export and always fails (a day without delivery has no folder instead).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from recsys.settings import (
    DEFAULT_VOLUME_MAX_RATIO,
    DEFAULT_VOLUME_MIN_RATIO,
    DEFAULT_VOLUME_MIN_ROWS,
    DEFAULT_VOLUME_MISSING_DAYS,
    DEFAULT_VOLUME_MODE,
    DEFAULT_VOLUME_WINDOW_DAYS,
    MISSING_DAYS,
    VOLUME_MODES,
    MissingDays,
    VolumeMode,
)

# Fewer delivered days than this in the window: no band is drawn (the empty-day rule still holds).
MIN_HISTORY_DAYS = 7


@dataclass(frozen=True)
class VolumeRule:
    """The rule's knobs; defaults and environment variables live in recsys.settings."""

    window_days: int = DEFAULT_VOLUME_WINDOW_DAYS
    min_ratio: float = DEFAULT_VOLUME_MIN_RATIO
    max_ratio: float = DEFAULT_VOLUME_MAX_RATIO
    min_rows: int = DEFAULT_VOLUME_MIN_ROWS
    mode: VolumeMode = DEFAULT_VOLUME_MODE
    missing_days: MissingDays = DEFAULT_VOLUME_MISSING_DAYS

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.min_rows < 0:
            raise ValueError("window_days must be at least 1 and min_rows at least 0")
        if not 0 <= self.min_ratio <= 1 <= self.max_ratio:
            raise ValueError(
                f"volume ratios must satisfy 0 <= min_ratio <= 1 <= max_ratio, "
                f"got {self.min_ratio} and {self.max_ratio}"
            )
        if self.mode not in VOLUME_MODES or self.missing_days not in MISSING_DAYS:
            raise ValueError(
                f"mode must be one of {VOLUME_MODES} and missing_days one of {MISSING_DAYS}"
            )

    def describe(self) -> str:
        return (
            f"{self.min_ratio:g}x the quietest to {self.max_ratio:g}x the busiest of the delivered "
            f"days in the trailing {self.window_days} ({self.mode}; not judged below a median of "
            f"{self.min_rows} rows)"
        )


@dataclass(frozen=True)
class VolumeVerdict:
    """What the rule said of one day: `problem` is None when it passed or was not judged;
    `blocking` says whether the problem stops what follows."""

    rows: int
    median: float | None
    low: float | None
    high: float | None
    problem: str | None = None
    blocking: bool = False
    judged: bool = True


def judge_volume(day: str, rows: int, trailing: Sequence[int], rule: VolumeRule) -> VolumeVerdict:
    """Judge a delivered day's `rows` against the row counts of its trailing delivered days."""
    history = [count for count in trailing if count > 0]
    median = float(statistics.median(history)) if history else None
    if rows == 0 and (median is None or median >= rule.min_rows):
        baseline = f"the trailing median is {median:.0f} rows" if median else "no trailing day"
        return VolumeVerdict(
            rows,
            median,
            None,
            None,
            f"events {day}: the delivery holds no events ({baseline}); 0.00x the trailing median: "
            "an empty export? A day without events is delivered as no folder at all",
            blocking=True,
        )
    if median is None or len(history) < MIN_HISTORY_DAYS or median < rule.min_rows:
        return VolumeVerdict(rows, median, None, None, judged=False)
    low, high = rule.min_ratio * min(history), rule.max_ratio * max(history)
    if low <= rows <= high:
        return VolumeVerdict(rows, median, low, high)
    side = "busiest" if rows > high else "quietest"
    bound = high if rows > high else low
    return VolumeVerdict(
        rows,
        median,
        low,
        high,
        f"events {day}: {rows} rows, {rows / median:.2f}x the trailing median of {median:.0f} "
        f"({len(history)} delivered days of the last {rule.window_days}), beyond "
        f"{bound:.0f} rows ({rule.max_ratio if rows > high else rule.min_ratio:g}x the {side} "
        f"of them; {rule.mode})",
        blocking=rule.mode == "block",
    )


def missing_day_problem(day: str, rule: VolumeRule) -> str | None:
    """What a day of the run without any delivery says: nothing, unless configured to fail."""
    if rule.missing_days == "skip":
        return None
    return f"events {day}: no delivery (no date={day} folder) and missing days are set to fail"
