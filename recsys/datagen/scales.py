"""Named sizes of the generated platform, from test-sized to benchmark-sized."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_START = dt.date(2026, 9, 1)
# The irregular profile's history ends in mid-2026, about two and a half years after it starts.
IRREGULAR_START = dt.date(2024, 1, 8)


@dataclass(frozen=True)
class Scale:
    """How many users, creators, posts and days to generate; events_per_day is a weekday mean."""

    name: str
    n_users: int
    n_creators: int
    n_posts: int
    n_days: int
    events_per_day: int


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", n_users=300, n_creators=40, n_posts=500, n_days=14, events_per_day=1_100),
        # The smallest platform on which ALS reliably clears the quality gate: pipeline tests.
        Scale(
            "small", n_users=3_000, n_creators=300, n_posts=5_000, n_days=21, events_per_day=10_000
        ),
        Scale(
            "demo",
            n_users=20_000,
            n_creators=1_500,
            n_posts=30_000,
            n_days=45,
            events_per_day=28_000,
        ),
        Scale(
            "large",
            n_users=1_000_000,
            n_creators=50_000,
            n_posts=1_000_000,
            n_days=60,
            events_per_day=870_000,
        ),
    )
}


@dataclass(frozen=True)
class HistoryScale(Scale):
    """A size of the irregular profile: n_days is the span, events_per_day its mean over the span.

    heavy_readers are the expected event totals of the heaviest real readers (active every day of
    the span, never near a bot's daily volume); bots are users whose crawls of bot_day_events
    views on a few days each (bot_days) make them bots by any daily rule.
    """

    heavy_readers: tuple[int, ...] = ()
    bots: int = 2
    bot_days: int = 3
    bot_day_events: int = 2_000


IRREGULAR_DAYS = 900
IRREGULAR_SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        HistoryScale(
            "tiny",
            n_users=700,
            n_creators=150,
            n_posts=1_800,
            n_days=IRREGULAR_DAYS,
            events_per_day=25,
            heavy_readers=(1_500, 1_200),
            bot_days=2,
            bot_day_events=900,
        ),
        HistoryScale(
            "small",
            n_users=6_000,
            n_creators=800,
            n_posts=10_000,
            n_days=IRREGULAR_DAYS,
            events_per_day=300,
            heavy_readers=(4_000, 2_500, 1_500),
        ),
        HistoryScale(
            "demo",
            n_users=30_000,
            n_creators=3_000,
            n_posts=40_000,
            n_days=IRREGULAR_DAYS,
            events_per_day=1_600,
            heavy_readers=(8_000, 5_000, 3_000, 2_000, 1_200),
            bot_days=4,
            bot_day_events=4_000,
        ),
    )
}


def resolve_scale(scale: Scale | str) -> Scale:
    """The Scale itself, or the preset of that name."""
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}") from None
