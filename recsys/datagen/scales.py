"""Named sizes of the generated platform, from test-sized to benchmark-sized."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_START = dt.date(2026, 9, 1)


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


def resolve_scale(scale: Scale | str) -> Scale:
    """The Scale itself, or the preset of that name."""
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}") from None
