"""A day of events: user by activity, topic by taste, creator by popularity, post by recency."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.datagen.clock import US_PER_DAY, US_PER_HOUR
from recsys.datagen.population import FRONT_PAGE_SHARE, N_TOPICS, Creators, Users
from recsys.datagen.posts import Posts

# The pseudo-topic of front-page events, drawn by popularity over all creators.
FRONT_PAGE = N_TOPICS
# Share of events per type, in recsys.ingest.landing.EVENT_TYPES order
# (view, read, like, comment, share).
EVENT_TYPE_P = np.array([0.55, 0.25, 0.12, 0.04, 0.04])
DWELL_MEDIAN_SECONDS = np.array([12.0, 180.0, 45.0, 240.0, 30.0])
DWELL_SIGMA = np.array([0.7, 0.6, 0.7, 0.6, 0.7])
# Evenings are busiest, nights quiet (UTC, but the audience is mostly in one band of time zones).
HOUR_P = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 5, 5, 6, 6, 5, 5, 6, 7, 8, 9, 9, 8, 6, 3], float)
HOUR_P /= HOUR_P.sum()
WEEKEND_FACTOR = 0.85
# An event's post is the n-th most recent of the creator's posts with n = floor(count * u**4).
RECENCY_POWER = 4.0


@dataclass(frozen=True)
class DayEvents:
    """A day's events sorted by time; user, post and creator are indexes (id = index + 1)."""

    user: np.ndarray
    post: np.ndarray
    creator: np.ndarray
    kind: np.ndarray
    at_us: np.ndarray
    dwell_seconds: np.ndarray


class EventSampler:
    """Samples events hierarchically so that 1M users x 50k creators needs no dense matrix."""

    def __init__(self, users: Users, creators: Creators, posts: Posts, origin_us: int) -> None:
        self.users, self.posts, self.origin_us = users, posts, origin_us
        # Creators become reachable at their first post. Blocks 0..N_TOPICS-1 hold each topic's
        # creators and block N_TOPICS all of them (the front page); sorted by (block, first post),
        # the creators of a block reachable at time t are a prefix of that block.
        n_creators = len(creators.topic)
        reachable = np.full(n_creators, np.iinfo(np.int64).max)
        np.minimum.at(reachable, posts.creator, posts.published_us)
        self.span = int(posts.published_us.max() - origin_us + 10 * US_PER_DAY)
        if (max(n_creators, N_TOPICS) + 2) * self.span >= 2**62:
            raise ValueError("too many creators for int64 (creator, time) keys")
        rel = np.tile(np.minimum(reachable - origin_us, self.span - 1), 2)
        block = np.concatenate([creators.topic, np.full(n_creators, FRONT_PAGE)]).astype(np.int64)
        order = np.lexsort((rel, block))
        self.creator_order = order % n_creators
        self.creator_keys = block[order] * self.span + rel[order]
        self.block_start = np.searchsorted(self.creator_keys, np.arange(N_TOPICS + 1) * self.span)
        self.popularity_cum = np.concatenate(
            [[0.0], np.cumsum(creators.popularity[self.creator_order])]
        )
        self.post_order = np.lexsort((posts.published_us, posts.creator))
        sorted_creator = posts.creator[self.post_order].astype(np.int64)
        self.post_keys = sorted_creator * self.span + (
            posts.published_us[self.post_order] - origin_us
        )
        self.creator_post_start = np.searchsorted(sorted_creator, np.arange(len(creators.topic)))

    def day(
        self,
        start_us: int,
        n_events: int,
        rng: np.random.Generator,
        *,
        taste: Users | None = None,
        event_type_p: np.ndarray | None = None,
        dwell_median: np.ndarray | None = None,
        user_weights: np.ndarray | None = None,
    ) -> DayEvents:
        """Up to `n_events` events in the day from `start_us`; ineligible draws are dropped.

        `taste` (users whose topics/weights replace the real ones), `event_type_p` and
        `dwell_median` let a drifted day draw from other distributions with the same random draws.
        `user_weights` replaces the users' activity for the day (the caller keeps it at zero for
        users who have not signed up before the day).
        """
        users = self.users
        type_p = EVENT_TYPE_P if event_type_p is None else event_type_p
        median = DWELL_MEDIAN_SECONDS if dwell_median is None else dwell_median
        if user_weights is None:
            # Users who sign up during the day start acting the next day: events follow signup.
            user_weights = np.where(users.signup_us < start_us, users.activity, 0.0)
        weight_cum = np.cumsum(user_weights)
        user = np.searchsorted(weight_cum, rng.random(n_events) * weight_cum[-1], side="right")
        hour = rng.choice(24, size=n_events, p=HOUR_P)
        at = start_us + hour * US_PER_HOUR + (rng.random(n_events) * US_PER_HOUR).astype(np.int64)
        topic = self._topics(user, rng, taste)
        creator, ok = self._creators(topic, at, rng)
        post, has_post = self._posts(creator, at, rng)
        keep = np.flatnonzero(ok & has_post)
        keep = keep[np.argsort(at[keep], kind="stable")]
        kind = rng.choice(len(type_p), size=len(keep), p=type_p).astype(np.int8)
        dwell = np.round(rng.lognormal(np.log(median[kind]), DWELL_SIGMA[kind]), 1)
        return DayEvents(user[keep], post[keep], creator[keep], kind, at[keep], dwell)

    def _topics(
        self, user: np.ndarray, rng: np.random.Generator, taste: Users | None = None
    ) -> np.ndarray:
        """One of the user's topics by taste, or FRONT_PAGE for a share of events."""
        taste = self.users if taste is None else taste
        cum = np.cumsum(taste.weights[user], axis=1)
        slot = np.minimum((rng.random(len(user))[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
        preferred = taste.topics[user, slot].astype(np.int64)
        front_page = rng.random(len(user)) < FRONT_PAGE_SHARE
        return np.where(front_page, FRONT_PAGE, preferred)

    def _creators(
        self, topic: np.ndarray, at: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """A creator of the topic (or any, on the front page) reachable at `at`, by popularity."""
        lo = self.block_start[topic]
        hi = np.searchsorted(self.creator_keys, topic * self.span + (at - self.origin_us))
        cum = self.popularity_cum
        target = cum[lo] + rng.random(len(topic)) * (cum[hi] - cum[lo])
        pos = np.clip(np.searchsorted(cum, target, side="right") - 1, lo, np.maximum(hi - 1, lo))
        return self.creator_order[np.minimum(pos, len(self.creator_order) - 1)], hi > lo

    def _posts(
        self, creator: np.ndarray, at: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """A post of the creator published before `at`, favouring the most recent ones."""
        lo = self.creator_post_start[creator]
        hi = np.searchsorted(
            self.post_keys, creator.astype(np.int64) * self.span + (at - self.origin_us)
        )
        count = hi - lo
        back = (count * rng.random(len(creator)) ** RECENCY_POWER).astype(np.int64)
        pos = np.clip(hi - 1 - back, 0, len(self.post_order) - 1)
        return self.post_order[pos], count > 0
