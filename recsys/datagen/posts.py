"""When creators publish: a first post soon after joining, then posts at the creator's rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.datagen.clock import US_PER_DAY, US_PER_HOUR
from recsys.datagen.population import Creators

# Posts older than this before the start are not generated: older archives add rows, not signal.
BACKFILL_DAYS = 60
PAID_SHARE = 0.15


@dataclass(frozen=True)
class Posts:
    """Posts by index in publication order (post_id = index + 1)."""

    creator: np.ndarray
    published_us: np.ndarray
    is_paid: np.ndarray


def make_posts(
    creators: Creators, n_posts: int, start_us: int, end_us: int, rng: np.random.Generator
) -> Posts:
    """About `n_posts` posts, each published after its creator joined and before `end_us`."""
    n_creators = len(creators.topic)
    window_start = np.maximum(creators.created_us, start_us - BACKFILL_DAYS * US_PER_DAY)
    # A first post within hours of joining (or of the backfill window) makes creators reachable.
    first = window_start + (rng.uniform(0.5, 12.0, n_creators) * US_PER_HOUR).astype(np.int64)
    span_days = (end_us - first) / US_PER_DAY
    expected = creators.post_rate * span_days
    per_unit = max(n_posts - n_creators, 0) / max(expected.sum(), 1e-9)
    n_extra = rng.poisson(expected * per_unit)
    owner = np.repeat(np.arange(n_creators), n_extra)
    offset = (rng.random(len(owner)) * (end_us - first[owner] - 1)).astype(np.int64) + 1
    creator = np.concatenate([np.arange(n_creators), owner]).astype(np.int32)
    published = np.concatenate([first, first[owner] + offset])
    order = np.lexsort((creator, published))
    is_paid = rng.random(len(order)) < PAID_SHARE
    return Posts(creator[order], published[order], is_paid)
