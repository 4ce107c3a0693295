"""The irregular profile's population over time: who arrives when, for how long, and how much.

Users and creators arrive over the span at a rate that grows with the platform (some were there
before it starts). Each user is active on a window of days with a weight, their expected events
per unit of a day's busyness (history.py), so a day's expected events are its busyness times the
weights of the users active on it. Drive-by users have a couple of events over their window, the
heavy readers thousands over the whole span; regular readers have a heavy-tailed rate, scaled so
that the span holds the scale's volume and capped so that no real reader comes near a bot's
daily volume. Bots are users with a few events of their own and, on some days, a crawl.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from recsys.datagen.clock import US_PER_DAY, days_ago_us
from recsys.datagen.population import Creators, Users, make_creators, make_users
from recsys.datagen.scales import HistoryScale, Scale

USERS_BEFORE_START, CREATORS_BEFORE_START = 0.10, 0.25
# Arrivals during the span: a density rising linearly from ARRIVAL_FLOOR to 1 + ARRIVAL_FLOOR.
ARRIVAL_FLOOR = 0.25
DRIVE_BY_SHARE, DRIVE_BY_DAYS, DRIVE_BY_EVENTS = 0.40, (1, 10), 1.6
REGULAR_MEDIAN_DAYS, REGULAR_DAYS_SIGMA, REGULAR_RATE_SIGMA = 150.0, 1.1, 1.3
# Events per unit of busyness: about that many on an ordinary day, some 10-20x on a burst day.
MAX_READER_WEIGHT = 8.0
BOT_OWN_EVENTS = 3.0
CREATOR_POPULARITY_SIGMA = 2.0


@dataclass(frozen=True)
class Lifecycles:
    """Per user: first active day and end (exclusive) as day indexes; expected events over the
    window (drive-by users, heavy readers, bots' own) or, for regular readers (`expected` 0), a
    relative rate; `budget`, the expected events of the whole span without the bots' crawls."""

    first_day: np.ndarray
    end_day: np.ndarray
    expected: np.ndarray
    rate: np.ndarray
    heavy: np.ndarray
    bots: np.ndarray
    budget: float


def arrivals(n: int, share_before: float, mean_age_days: float, start_us: int, n_days: int,
             rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Arrival times: a share before the start (exponential ages), the rest rising over the span."""
    before = days_ago_us(start_us, np.minimum(rng.exponential(mean_age_days, n), 3 * 365) + 0.01)
    uniform, rising = rng.random(n), np.sqrt(rng.random(n))
    floor_share = ARRIVAL_FLOOR / (ARRIVAL_FLOOR + 0.5)
    position = np.where(rng.random(n) < floor_share, uniform, rising)
    # Late arrivals stop two days before the end so that they still can act.
    during = start_us + (position * (n_days - 2) * US_PER_DAY).astype(np.int64)
    return np.where(rng.random(n) < share_before, before, during)


def make_history_users(
    scale: Scale, start_us: int, taste_rng: np.random.Generator, rng: np.random.Generator
) -> tuple[Users, Lifecycles]:
    """scale.n_users readers, then the bots; tastes and countries as the default profile's."""
    shape = scale if isinstance(scale, HistoryScale) else HistoryScale(**vars(scale))
    n_days, n = shape.n_days, shape.n_users + shape.bots
    users = make_users(n, start_us, n_days, taste_rng)
    signup = arrivals(n, USERS_BEFORE_START, 200.0, start_us, n_days, rng)
    # Acting starts the day after signup (a day's events all follow their users' signups).
    first_day = np.maximum((signup - start_us) // US_PER_DAY + 1, 0)
    drive_by = rng.random(n) < DRIVE_BY_SHARE
    days = np.where(
        drive_by,
        rng.integers(DRIVE_BY_DAYS[0], DRIVE_BY_DAYS[1] + 1, n),
        np.ceil(rng.lognormal(np.log(REGULAR_MEDIAN_DAYS), REGULAR_DAYS_SIGMA, n)),
    ).astype(np.int64)
    end_day = np.minimum(first_day + days, n_days)
    expected = np.where(drive_by, DRIVE_BY_EVENTS, 0.0)
    rate = np.where(drive_by, 0.0, rng.lognormal(0.0, REGULAR_RATE_SIGMA, n))
    bots = np.arange(shape.n_users, n)
    heavy = rng.choice(np.flatnonzero(~drive_by[: shape.n_users]), len(shape.heavy_readers), False)
    expected[bots], expected[heavy] = BOT_OWN_EVENTS, shape.heavy_readers
    rate[bots], rate[heavy] = 0.0, 0.0
    first_day[heavy], end_day[heavy] = 0, n_days
    signup[heavy] = np.minimum(signup[heavy], start_us - US_PER_DAY)
    bot_volume = shape.bots * shape.bot_days * shape.bot_day_events
    budget = float(shape.events_per_day * n_days - bot_volume)
    users = replace(users, signup_us=signup, activity=expected + rate)
    return users, Lifecycles(first_day, end_day, expected, rate, np.sort(heavy), bots, budget)


def make_history_creators(
    scale: Scale, start_us: int, rng: np.random.Generator, arrival_rng: np.random.Generator
) -> Creators:
    """Creators with the default profile's topics and post rates, arriving over the span, with
    a heavier-tailed popularity."""
    creators = make_creators(scale.n_creators, start_us, scale.n_days, rng)
    created = arrivals(
        scale.n_creators, CREATORS_BEFORE_START, 400.0, start_us, scale.n_days, arrival_rng
    )
    popularity = arrival_rng.lognormal(0.0, CREATOR_POPULARITY_SIGMA, scale.n_creators)
    return replace(creators, created_us=created, popularity=popularity)


def user_weights(lifecycles: Lifecycles, factor: np.ndarray) -> np.ndarray:
    """Each user's events per unit of busyness under the calendar's `factor`."""
    cumulative = np.concatenate([[0.0], np.cumsum(factor)])
    busyness = cumulative[lifecycles.end_day] - cumulative[lifecycles.first_day]
    weights = np.divide(
        lifecycles.expected, busyness, out=np.zeros_like(busyness), where=busyness > 0
    )
    regular = lifecycles.rate > 0
    room = lifecycles.budget - (weights * busyness).sum()
    scale = 0.0
    # Capping the fastest readers takes volume off; a few rounds give most of it back to the rest.
    for _ in range(4):
        uncapped = regular & (lifecycles.rate * scale < MAX_READER_WEIGHT)
        capped_volume = (MAX_READER_WEIGHT * busyness[regular & ~uncapped]).sum()
        free = (lifecycles.rate[uncapped] * busyness[uncapped]).sum()
        scale = max(room - capped_volume, 0.0) / free if free > 0 else 0.0
    weights[regular] = np.minimum(lifecycles.rate[regular] * scale, MAX_READER_WEIGHT)
    return weights


def expected_volume(lifecycles: Lifecycles, factor: np.ndarray) -> np.ndarray:
    """Each day's expected events: its busyness times the weights of the users active on it."""
    weights = user_weights(lifecycles, factor)
    change = np.zeros(len(factor) + 1)
    np.add.at(change, lifecycles.first_day, weights)
    np.add.at(change, lifecycles.end_day, -weights)
    return factor * np.cumsum(change)[:-1]
