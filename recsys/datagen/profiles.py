"""Generator profiles: the shape of the history a platform is generated with.

- default: the demo platform, a few weeks of steady daily deliveries (recsys.datagen.platform).
- irregular: shaped like a real platform's export (recsys.datagen.irregular): about two and a half
  years, users and creators arriving over time, days without any delivery, quiet periods, bursts of
  about ten times the median day, a few very heavy real readers, a couple of bots and a long tail
  of users with one to three interactions.

Both write the same landing contract and the same truth files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from recsys.datagen.scales import DEFAULT_START, IRREGULAR_SCALES, IRREGULAR_START, SCALES, Scale


@dataclass(frozen=True)
class Profile:
    """A profile's name, its first day (unless a start is given) and its named scales."""

    name: str
    start: dt.date
    scales: Mapping[str, Scale]

    def scale(self, scale: Scale | str) -> Scale:
        """The Scale itself, or this profile's scale of that name."""
        if isinstance(scale, Scale):
            return scale
        try:
            return self.scales[scale]
        except KeyError:
            raise ValueError(
                f"unknown scale {scale!r} for profile {self.name!r}; "
                f"choose one of {sorted(self.scales)}"
            ) from None


DEFAULT, IRREGULAR = "default", "irregular"
PROFILES: dict[str, Profile] = {
    DEFAULT: Profile(DEFAULT, DEFAULT_START, SCALES),
    IRREGULAR: Profile(IRREGULAR, IRREGULAR_START, IRREGULAR_SCALES),
}


def resolve_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {list(PROFILES)}") from None
