"""The irregular profile's calendar: which days deliver and how busy each day is.

A day's busyness is a factor on the expected events of the users active that day: weekends and
summers are quieter, every day is noisy, a few quiet periods (holidays, a broken tracker) run at a
fraction of normal, some days deliver nothing at all (single missing days and a few multi-day
outages), and a few bursts reach about ten times the median day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

WEEKEND_FACTOR = 0.8
SUMMER_DIP = 0.15
NOISE_SIGMA = 0.25
MISSING_DAY_P = 0.02
OUTAGES, OUTAGE_DAYS = 2, (3, 9)
QUIET_PERIODS, QUIET_DAYS, QUIET_FACTOR = 3, (10, 35), (0.15, 0.35)
BURST_SHARE, BURST_TIMES_MEDIAN = 0.012, (10.0, 14.0)


@dataclass(frozen=True)
class Calendar:
    """Per day of the span from `start`: its busyness (0: no delivery) and whether it bursts."""

    start: dt.date
    factor: np.ndarray
    burst: np.ndarray

    @property
    def delivered(self) -> np.ndarray:
        return self.factor > 0

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=int(index))


def _windows(n_days: int, count: int, lengths: tuple[int, int], rng: np.random.Generator):
    """`count` (first, end) day windows inside the span, never touching its first or last day."""
    length = rng.integers(lengths[0], lengths[1] + 1, count)
    first = rng.integers(1, n_days - 1 - length)
    return zip(first.tolist(), (first + length).tolist(), strict=True)


def base_calendar(start: dt.date, n_days: int, rng: np.random.Generator) -> Calendar:
    """The calendar before bursts; the first and the last day always deliver."""
    dates = np.arange(n_days) + start.toordinal()
    weekend = np.array([dt.date.fromordinal(int(d)).weekday() >= 5 for d in dates])
    day_of_year = np.array([dt.date.fromordinal(int(d)).timetuple().tm_yday for d in dates])
    summer = 1.0 - SUMMER_DIP * np.cos(2 * np.pi * (day_of_year - 200) / 365.25)
    factor = np.where(weekend, WEEKEND_FACTOR, 1.0) * summer
    factor *= rng.lognormal(-(NOISE_SIGMA**2) / 2, NOISE_SIGMA, n_days)
    for first, end in _windows(n_days, QUIET_PERIODS, QUIET_DAYS, rng):
        factor[first:end] *= rng.uniform(*QUIET_FACTOR)
    missing = rng.random(n_days) < MISSING_DAY_P
    for first, end in _windows(n_days, OUTAGES, OUTAGE_DAYS, rng):
        missing[first:end] = True
    missing[[0, -1]] = False
    factor[missing] = 0.0
    return Calendar(start, factor, np.zeros(n_days, bool))


def with_bursts(calendar: Calendar, volume: np.ndarray, rng: np.random.Generator) -> Calendar:
    """Raise a few ordinary days to BURST_TIMES_MEDIAN times the median day's `volume`.

    `volume` is each day's expected events under `calendar`; the users' totals are spread again
    over the new calendar afterwards, which takes a little off the bursts.
    """
    delivered = calendar.delivered
    median = float(np.median(volume[delivered]))
    candidates = np.flatnonzero(delivered & (volume > 0.5 * median) & (volume < 2 * median))
    n_bursts = min(max(2, round(BURST_SHARE * len(volume))), len(candidates))
    days = rng.choice(candidates, n_bursts, replace=False)
    target = median * rng.uniform(*BURST_TIMES_MEDIAN, n_bursts)
    factor = calendar.factor.copy()
    factor[days] *= target / volume[days]
    burst = calendar.burst.copy()
    burst[days] = True
    return replace(calendar, factor=factor, burst=burst)
