"""The generated entities as landing tables: ids are index + 1, times are timestamp[us]."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys.datagen import text
from recsys.datagen.clock import as_datetime64
from recsys.datagen.engagement import Subscriptions
from recsys.datagen.events import DayEvents
from recsys.datagen.files import contract_table
from recsys.datagen.population import Creators, Users
from recsys.datagen.posts import Posts
from recsys.datagen.vocabulary import COUNTRIES, NAME_PREFIXES, NAME_SUFFIXES, TOPICS, topic_label
from recsys.ingest.landing import CREATORS, EVENT_TYPES, EVENTS, POSTS, SUBSCRIPTIONS, USERS

TOPIC_NAMES = pa.array(TOPICS)


def _ids(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=np.int64)


def users_table(users: Users) -> pa.Table:
    return contract_table(
        USERS,
        {
            "user_id": _ids(len(users.signup_us)),
            "signup_at": as_datetime64(users.signup_us),
            "country": pa.array(list(COUNTRIES)).take(pa.array(users.country)),
        },
    )


def creators_table(creators: Creators, rng: np.random.Generator) -> pa.Table:
    n = len(creators.topic)
    ids = _ids(n)
    name = pc.binary_join_element_wise(
        pa.array(NAME_PREFIXES).take(pa.array(rng.integers(0, len(NAME_PREFIXES), n))),
        pa.array([topic_label(topic) for topic in TOPICS]).take(pa.array(creators.topic)),
        pa.array(NAME_SUFFIXES).take(pa.array(rng.integers(0, len(NAME_SUFFIXES), n))),
        pc.binary_join_element_wise("#", pc.cast(pa.array(ids), pa.string()), ""),
        " ",
    )
    return contract_table(
        CREATORS,
        {
            "creator_id": ids,
            "name": name,
            "category": TOPIC_NAMES.take(pa.array(creators.topic)),
            "created_at": as_datetime64(creators.created_us),
        },
    )


def posts_table(
    posts: Posts, creators: Creators, lo: int, hi: int, rng: np.random.Generator
) -> pa.Table:
    """Posts lo..hi-1, so that the text of a million posts is built and written in slices."""
    creator = posts.creator[lo:hi]
    topic = creators.topic[creator]
    return contract_table(
        POSTS,
        {
            "post_id": np.arange(lo + 1, hi + 1, dtype=np.int64),
            "creator_id": creator.astype(np.int64) + 1,
            "title": text.titles(topic, rng),
            "body": text.bodies(topic, rng),
            "published_at": as_datetime64(posts.published_us[lo:hi]),
            "is_paid": posts.is_paid[lo:hi],
        },
    )


def events_table(events: DayEvents, first_event_id: int) -> pa.Table:
    return contract_table(
        EVENTS,
        {
            "event_id": np.arange(
                first_event_id, first_event_id + len(events.user), dtype=np.int64
            ),
            "user_id": events.user.astype(np.int64) + 1,
            "post_id": events.post.astype(np.int64) + 1,
            "event_type": pa.array(EVENT_TYPES).take(pa.array(events.kind)),
            "event_at": as_datetime64(events.at_us),
            "dwell_seconds": events.dwell_seconds.astype(np.float64),
        },
    )


def subscriptions_table(subscriptions: Subscriptions) -> pa.Table:
    ended = subscriptions.ended_us
    return contract_table(
        SUBSCRIPTIONS,
        {
            "subscription_id": _ids(len(subscriptions.user)),
            "user_id": subscriptions.user.astype(np.int64) + 1,
            "creator_id": subscriptions.creator.astype(np.int64) + 1,
            "tier": pa.array(["free", "paid"]).take(pa.array(subscriptions.paid.astype(np.int8))),
            "started_at": as_datetime64(subscriptions.started_us),
            "ended_at": pa.array(as_datetime64(ended), mask=ended < 0),
        },
    )
