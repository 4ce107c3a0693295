"""The served-quality band: a day's figure for a table against the same table's trailing days.

The band is the mean of the table's figure over the scored days in the `trailing_days` before the
day (calendar days of the data, so gaps in delivery shorten the evidence rather than stretch the
window), minus `width` spreads. The spread is the trailing days' standard deviation, but never
less than the day's own sampling error (sqrt(m (1 - m) / n) for a mean m of n per-reader values
in [0, 1], an upper bound) nor than `min_relative_spread` of the trailing mean: a few
near-identical days understate how much a figure moves (three days' standard deviation is below
half the true one about one time in five), and a slow drift such as lists ageing between refreshes
(the small platform's user_creators lose about 1.5% a day) must not pass for a fall. At the
defaults a day fails when it is more than 15% below its trailing mean, or further still on a
noisy table. A day judged on fewer than `min_readers` readers, or with fewer than
`min_trailing_days` trailing days scored, is not judged (it passes, saying why).

A fall is flagged on the day it happens; the days after it join the trailing days like any other,
so a lasting fall widens the band and triggers one retrain, not one a day while it lasts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from recsys.settings import (
    DEFAULT_SERVED_QUALITY_BAND_WIDTH,
    DEFAULT_SERVED_QUALITY_TRAILING_DAYS,
)


@dataclass(frozen=True)
class QualityBand:
    """Which figure is judged and how wide its band is (see the module docstring)."""

    trailing_days: int = DEFAULT_SERVED_QUALITY_TRAILING_DAYS
    width: float = DEFAULT_SERVED_QUALITY_BAND_WIDTH
    metric: str = "ndcg"
    min_trailing_days: int = 3
    min_readers: int = 30
    min_relative_spread: float = 0.05


@dataclass(frozen=True)
class BandVerdict:
    """One table on one day: its figure, the band's lower edge (NaN when not judged), and why."""

    table: str
    value: float
    lower: float
    center: float
    trailing_days: int
    judged: bool
    passed: bool
    reason: str


def judge_day(
    history: pd.DataFrame, day: dt.date, band: QualityBand = QualityBand()
) -> list[BandVerdict]:
    """A verdict per table scored on `day` in `history` (day, table_name, readers_judged and the
    band's metric, one row per day and table)."""
    days = pd.to_datetime(history["day"]).dt.date
    verdicts = []
    for table in sorted(history.loc[days == day, "table_name"].unique()):
        rows = history[history["table_name"] == table]
        table_days = days[rows.index]
        today = rows[table_days == day].iloc[-1]
        start = day - dt.timedelta(days=band.trailing_days)
        trailing = rows[
            (table_days >= start)
            & (table_days < day)
            & (rows["readers_judged"] >= band.min_readers)
            & rows[band.metric].notna()
        ]
        verdicts.append(_verdict(str(table), today, trailing, band))
    return verdicts


def _verdict(
    table: str, today: pd.Series, trailing: pd.DataFrame, band: QualityBand
) -> BandVerdict:
    value = float(today[band.metric])
    readers = int(today["readers_judged"])
    nan = float("nan")
    if readers < band.min_readers or math.isnan(value):
        reason = f"{readers} readers judged, fewer than {band.min_readers}: not judged"
        return BandVerdict(table, value, nan, nan, len(trailing), False, True, reason)
    if len(trailing) < band.min_trailing_days:
        reason = (
            f"{len(trailing)} trailing day(s) scored in the last {band.trailing_days}, fewer "
            f"than {band.min_trailing_days}: not judged"
        )
        return BandVerdict(table, value, nan, nan, len(trailing), False, True, reason)
    values = trailing[band.metric].astype(float)
    center = float(values.mean())
    sampling = math.sqrt(max(value * (1.0 - value), 0.0) / readers)
    spread = max(
        float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        sampling,
        band.min_relative_spread * abs(center),
    )
    lower = center - band.width * spread
    passed = value >= lower
    reason = (
        f"{band.metric} {value:.4f} {'within' if passed else 'below'} the band: at least "
        f"{lower:.4f} (mean {center:.4f} of {len(values)} trailing days - {band.width:g} x spread "
        f"{spread:.4f})"
    )
    return BandVerdict(table, value, lower, center, len(values), True, passed, reason)
