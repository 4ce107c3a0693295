"""Drift from a given day on: users' tastes shift to other topics, or engagement changes.

Drift only changes the distributions events are drawn from, never the random draws themselves, so
the days before the drift are byte-identical to a generation without drift.

- topic_shift: every user's taste becomes a mix of (1 - TOPIC_SHIFT_STRENGTH) of the old taste and
  TOPIC_SHIFT_STRENGTH of the same weights on other topics, through a fixed derangement of the
  topics drawn from the seed (no topic maps to itself). The share of a user's events in their top
  true topic drops from about (1 - f) * d(u, top) to about (1 - f) * (1 - s) * d(u, top).
- engagement: more views (the view share of event types rises), shorter dwell (medians scaled by
  DWELL_FACTOR) and more events per day (EVENT_VOLUME_FACTOR).

The truth folder keeps the users' tastes from before the drift.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from recsys.datagen.events import DWELL_MEDIAN_SECONDS
from recsys.datagen.population import N_TOPICS, Users

DRIFTS: tuple[str, ...] = ("topic_shift", "engagement")
TOPIC_SHIFT_STRENGTH = 0.7
# Event type shares under engagement drift (view, read, like, comment, share): mostly views.
ENGAGED_EVENT_TYPE_P = np.array([0.75, 0.12, 0.08, 0.02, 0.03])
DWELL_FACTOR = 0.5
EVENT_VOLUME_FACTOR = 1.3


@dataclass(frozen=True)
class Drift:
    """What a drifted day draws from; None keeps the generator's default."""

    name: str
    taste: Users | None = None
    event_type_p: np.ndarray | None = None
    dwell_median: np.ndarray | None = None
    volume_factor: float = 1.0


def topic_derangement(rng: np.random.Generator) -> np.ndarray:
    """A permutation of the topics without fixed points: a random cyclic shift of a shuffle."""
    order = rng.permutation(N_TOPICS)
    shift = int(rng.integers(1, N_TOPICS))
    mapping = np.empty(N_TOPICS, dtype=np.int64)
    mapping[order] = order[(np.arange(N_TOPICS) + shift) % N_TOPICS]
    return mapping


def shifted_taste(users: Users, rng: np.random.Generator) -> Users:
    """Users whose taste mixes their old topics with the same weights on deranged topics."""
    mapping = topic_derangement(rng)
    s = TOPIC_SHIFT_STRENGTH
    topics = np.concatenate([users.topics, mapping[users.topics].astype(users.topics.dtype)], 1)
    weights = np.concatenate([(1.0 - s) * users.weights, s * users.weights], axis=1)
    return replace(users, topics=topics, weights=weights)


def make_drift(name: str, users: Users, rng: np.random.Generator) -> Drift:
    """The drift called `name` (one of DRIFTS) for these users."""
    if name == "topic_shift":
        return Drift(name, taste=shifted_taste(users, rng))
    if name == "engagement":
        return Drift(
            name,
            event_type_p=ENGAGED_EVENT_TYPE_P,
            dwell_median=DWELL_MEDIAN_SECONDS * DWELL_FACTOR,
            volume_factor=EVENT_VOLUME_FACTOR,
        )
    raise ValueError(f"unknown drift {name!r}; choose one of {list(DRIFTS)}")
