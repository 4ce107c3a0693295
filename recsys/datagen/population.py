"""Users and creators: when they joined, where users live, activity, tastes and popularity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.datagen.clock import US_PER_DAY, days_ago_us
from recsys.datagen.vocabulary import COUNTRIES, TOPIC_POPULARITY, TOPICS

N_TOPICS = len(TOPICS)
MAX_USER_TOPICS = 3
# Share of every user's events that come from the front page, which shows creators of any topic
# by popularity: how readers discover outside their tastes, and why the heads of topics are big.
FRONT_PAGE_SHARE = 0.12
USER_TOPIC_COUNT_P = (0.35, 0.40, 0.25)
USER_ACTIVITY_SIGMA = 1.1
CREATOR_POPULARITY_SIGMA = 1.8
USERS_JOINING_DURING_PERIOD = 0.12
CREATORS_JOINING_DURING_PERIOD = 0.15


@dataclass(frozen=True)
class Users:
    """Users by index (user_id = index + 1); topics/weights hold up to three preferred topics."""

    signup_us: np.ndarray
    country: np.ndarray
    activity: np.ndarray
    topics: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class Creators:
    """Creators by index (creator_id = index + 1) with their main topic and true popularity."""

    topic: np.ndarray
    created_us: np.ndarray
    popularity: np.ndarray
    post_rate: np.ndarray


def _topic_p() -> np.ndarray:
    weights = np.array([TOPIC_POPULARITY[topic] for topic in TOPICS])
    return weights / weights.sum()


def _join_times(n: int, share_during: float, start_us: int, n_days: int, mean_age_days: float,
                rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Most join before the start (exponential ages, capped at three years), some during it."""
    before = days_ago_us(start_us, np.minimum(rng.exponential(mean_age_days, n), 3 * 365) + 0.01)
    # Late joiners stop two days before the end so that they still produce some activity.
    during = start_us + (rng.random(n) * max(n_days - 2, 1) * US_PER_DAY).astype(np.int64)
    return np.where(rng.random(n) < share_during, during, before)


def make_users(n: int, start_us: int, n_days: int, rng: np.random.Generator) -> Users:
    """Users with heavy-tailed activity and tastes concentrated on one to three topics."""
    signup = _join_times(n, USERS_JOINING_DURING_PERIOD, start_us, n_days, 300.0, rng)
    country_p = np.array(list(COUNTRIES.values()))
    country = rng.choice(len(COUNTRIES), size=n, p=country_p / country_p.sum()).astype(np.int16)
    activity = rng.lognormal(0.0, USER_ACTIVITY_SIGMA, n)
    # Gumbel top-k draws distinct topics per user, favouring the popular topics.
    gumbel = -np.log(-np.log(rng.random((n, N_TOPICS), dtype=np.float32)))
    keys = np.log(_topic_p()).astype(np.float32) + gumbel
    topics = np.argsort(-keys, axis=1)[:, :MAX_USER_TOPICS].astype(np.int16)
    n_topics = rng.choice(MAX_USER_TOPICS, size=n, p=USER_TOPIC_COUNT_P) + 1
    weights = rng.exponential(1.0, (n, MAX_USER_TOPICS))
    weights[np.arange(MAX_USER_TOPICS)[None, :] >= n_topics[:, None]] = 0.0
    weights = -np.sort(-weights, axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    return Users(signup, country, activity, topics, weights)


def make_creators(n: int, start_us: int, n_days: int, rng: np.random.Generator) -> Creators:
    """Creators with one main topic and lognormal (heavy-tailed) popularity; some arrive late."""
    topic = rng.choice(N_TOPICS, size=n, p=_topic_p()).astype(np.int16)
    created = _join_times(n, CREATORS_JOINING_DURING_PERIOD, start_us, n_days, 400.0, rng)
    popularity = rng.lognormal(0.0, CREATOR_POPULARITY_SIGMA, n)
    post_rate = rng.lognormal(0.0, 0.6, n)
    return Creators(topic, created, popularity, post_rate)
