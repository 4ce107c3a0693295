"""Running per-(user, creator) engagement across days, and the subscriptions it earns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.datagen.clock import US_PER_HOUR, US_PER_SECOND

# Engagement points per event type (view, read, like, comment, share).
EVENT_POINTS = np.array([1.0, 2.0, 3.0, 4.0, 4.0], dtype=np.float32)
# A pair can subscribe once it has this many points; it then subscribes with a probability that
# rises with its final engagement.
READY_POINTS = 10.0
MAX_SUBSCRIBE_P = 0.6
POINTS_SCALE = 25.0
CHURN_SHARE = 0.2
NOT_READY = -1


class PairEngagement:
    """Points and the time they reached READY_POINTS per pair, keyed user * n_creators + creator.

    Days are merged into arrays sorted by key, so memory grows with distinct pairs, not events.
    """

    def __init__(self, n_creators: int, origin_us: int) -> None:
        self.n_creators, self.origin_us = n_creators, origin_us
        self.keys = np.empty(0, np.int64)
        self.points = np.empty(0, np.float32)
        self.ready_s = np.empty(0, np.int32)  # seconds after origin, NOT_READY before that

    def add(
        self, user: np.ndarray, creator: np.ndarray, kind: np.ndarray, at_us: np.ndarray
    ) -> None:
        """Merge one day of events (indexes and times) into the running aggregate."""
        key = user.astype(np.int64) * self.n_creators + creator
        order = np.lexsort((at_us, key))
        key, points, at_us = key[order], EVENT_POINTS[kind[order]], at_us[order]
        day_keys, first = np.unique(key, return_index=True)
        sizes = np.diff(np.append(first, len(key)))
        pos = np.searchsorted(self.keys, day_keys)
        known = pos < len(self.keys)
        known[known] = self.keys[pos[known]] == day_keys[known]
        prior = np.zeros(len(day_keys), np.float64)
        prior[known] = self.points[pos[known]]
        ready = self._ready_today(prior, points, at_us, first, sizes)
        day_points = np.add.reduceat(points, first)
        self.points[pos[known]] += day_points[known]
        old_ready = self.ready_s[pos[known]]
        self.ready_s[pos[known]] = np.where(old_ready == NOT_READY, ready[known], old_ready)
        new = ~known
        self.keys = np.insert(self.keys, pos[new], day_keys[new])
        self.points = np.insert(self.points, pos[new], day_points[new])
        self.ready_s = np.insert(self.ready_s, pos[new], ready[new])

    def _ready_today(
        self,
        prior: np.ndarray,
        points: np.ndarray,
        at_us: np.ndarray,
        first: np.ndarray,
        sizes: np.ndarray,
    ) -> np.ndarray:
        """Per pair of the day, when its points reached READY_POINTS today, else NOT_READY."""
        cumulative = np.cumsum(points, dtype=np.float64)
        before_pair = np.repeat(cumulative[first] - points[first], sizes)
        prior_by_event = np.repeat(prior, sizes)
        running = prior_by_event + cumulative - before_pair
        # Events are sorted by (pair, time): a pair's first event at or above the threshold.
        crossing = np.flatnonzero((running >= READY_POINTS) & (prior_by_event < READY_POINTS))
        pair_of = np.searchsorted(first, crossing, side="right") - 1
        crossed_pairs, first_crossing = np.unique(pair_of, return_index=True)
        ready = np.full(len(first), NOT_READY, np.int32)
        # Rounded up, so that a subscription started after `ready` follows the crossing event.
        crossed_at = at_us[crossing[first_crossing]] - self.origin_us
        ready[crossed_pairs] = -(-crossed_at // US_PER_SECOND)
        return ready


@dataclass(frozen=True)
class Subscriptions:
    """Subscriptions ordered by start; ended_us is -1 while active."""

    user: np.ndarray
    creator: np.ndarray
    paid: np.ndarray
    started_us: np.ndarray
    ended_us: np.ndarray


def draw_subscriptions(
    engagement: PairEngagement, end_us: int, rng: np.random.Generator
) -> Subscriptions:
    """Ready pairs subscribe with probability rising in engagement, a few hours after readiness."""
    ready = np.flatnonzero(engagement.ready_s != NOT_READY)
    points = engagement.points[ready].astype(np.float64)
    p = MAX_SUBSCRIBE_P * (1.0 - np.exp(-(points - READY_POINTS + 1.0) / POINTS_SCALE))
    chosen = ready[rng.random(len(ready)) < p]
    ready_us = engagement.origin_us + engagement.ready_s[chosen].astype(np.int64) * US_PER_SECOND
    room = np.maximum(end_us - 2 - ready_us, 0)
    delay = np.minimum(
        rng.exponential(6.0 * US_PER_HOUR, len(chosen)), room * rng.random(len(chosen))
    )
    started = ready_us + 1 + delay.astype(np.int64)
    # Fans who engage most pay more often: 8% at readiness, up to 28% for the most engaged.
    pts = engagement.points[chosen].astype(np.float64)
    paid = rng.random(len(chosen)) < 0.08 + 0.20 * (1.0 - np.exp(-pts / (4 * POINTS_SCALE)))
    churn_room = end_us - 1 - started
    churn = (rng.random(len(chosen)) < CHURN_SHARE) & (churn_room > 2 * US_PER_SECOND)
    ended = np.where(
        churn, started + 1 + (rng.random(len(chosen)) * (churn_room - 1)).astype(np.int64), -1
    )
    order = np.argsort(started, kind="stable")
    key = engagement.keys[chosen][order]
    return Subscriptions(
        user=key // engagement.n_creators,
        creator=key % engagement.n_creators,
        paid=paid[order],
        started_us=started[order],
        ended_us=ended[order],
    )
