"""The irregular profile: a platform's history as a real export looks (recsys.datagen.profiles).

The same machinery as the default profile (tastes, creators by popularity, posts by recency,
engagement and subscriptions, the truth) over a multi-year calendar (history.py) and a population
that arrives, stays a while and leaves (lifecycle.py). Days without a delivery get no folder;
bots' crawls are added to the days they crawl and left out of engagement.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from recsys.datagen import tables
from recsys.datagen.clock import US_PER_DAY, day_start_us
from recsys.datagen.engagement import PairEngagement, draw_subscriptions
from recsys.datagen.events import DayEvents, EventSampler
from recsys.datagen.files import touch, write_parquet
from recsys.datagen.generation import (
    BOTS_STREAM,
    CALENDAR_STREAM,
    CREATORS_STREAM,
    EVENTS_STREAM,
    LIFECYCLE_STREAM,
    POSTS_STREAM,
    SUBS_STREAM,
    USERS_STREAM,
    GenerationSummary,
    streams,
    write_catalog,
)
from recsys.datagen.history import base_calendar, with_bursts
from recsys.datagen.lifecycle import (
    expected_volume,
    make_history_creators,
    make_history_users,
    user_weights,
)
from recsys.datagen.posts import BACKFILL_DAYS, Posts, make_posts
from recsys.datagen.scales import HistoryScale, Scale
from recsys.datagen.truth import write_bot_truth, write_truth
from recsys.ingest.landing import CREATORS, DAY_COMPLETE_MARKER, EVENTS, POSTS, SUBSCRIPTIONS, USERS
from recsys.ingest.landing import day_folder as landing_day_folder

BOT_DAY_SPREAD = (0.8, 1.5)
BOT_LIKE_SHARE = 0.03
BOT_DWELL_SECONDS = 1.0


def plan_crawls(
    bots: np.ndarray, first_day: np.ndarray, delivered: np.ndarray, scale: HistoryScale,
    rng: np.random.Generator,
) -> dict[int, list[tuple[int, int]]]:  # fmt: skip
    """Day index -> (bot, events): each bot crawls on bot_days delivered days after signup."""
    crawls: dict[int, list[tuple[int, int]]] = {}
    for bot in bots.tolist():
        candidates = np.flatnonzero(delivered & (np.arange(len(delivered)) >= first_day[bot]))
        days = rng.choice(candidates, min(scale.bot_days, len(candidates)), replace=False)
        counts = np.round(scale.bot_day_events * rng.uniform(*BOT_DAY_SPREAD, len(days)))
        for day, count in zip(np.sort(days).tolist(), counts.astype(int).tolist(), strict=True):
            crawls.setdefault(day, []).append((bot, count))
    return crawls


def crawl(bot: int, n: int, posts: Posts, start_us: int, rng: np.random.Generator) -> DayEvents:
    """A bot's crawl of a day: views (a few likes) of any published post, about a second each."""
    at = np.sort(start_us + rng.integers(0, US_PER_DAY, n))
    # Posts are in publication order: those published before `at` are a prefix.
    published = np.searchsorted(posts.published_us, at, side="left")
    post = (rng.random(n) * published).astype(np.int64)
    keep = published > 0
    kind = np.where(rng.random(n) < BOT_LIKE_SHARE, 2, 0).astype(np.int8)
    dwell = np.maximum(np.round(rng.lognormal(np.log(BOT_DWELL_SECONDS), 0.3, n), 1), 0.1)
    return DayEvents(
        np.full(int(keep.sum()), bot, dtype=np.int64),
        post[keep],
        posts.creator[post[keep]],
        kind[keep],
        at[keep],
        dwell[keep],
    )


def merged(days: list[DayEvents]) -> DayEvents:
    """Several sets of one day's events as one, sorted by time."""
    at = np.concatenate([events.at_us for events in days])
    order = np.argsort(at, kind="stable")
    columns = ("user", "post", "creator", "kind", "at_us", "dwell_seconds")
    return DayEvents(
        *(np.concatenate([getattr(events, name) for events in days])[order] for name in columns)
    )


def generate_irregular(
    out: Path, truth_out: Path, scale: Scale, seed: int, start: dt.date,
    say: Callable[[str], None],
) -> GenerationSummary:  # fmt: skip
    """Write the irregular profile's landing zone under `out` and its truth under `truth_out`."""
    began = time.perf_counter()
    shape = scale if isinstance(scale, HistoryScale) else HistoryScale(**vars(scale))
    rng = streams(seed)
    start_us = day_start_us(start)
    end_us = start_us + shape.n_days * US_PER_DAY
    origin_us = start_us - (BACKFILL_DAYS + 1) * US_PER_DAY
    users, life = make_history_users(shape, start_us, rng(USERS_STREAM), rng(LIFECYCLE_STREAM))
    creators = make_history_creators(
        shape, start_us, rng(CREATORS_STREAM), rng(LIFECYCLE_STREAM, 1)
    )
    posts = make_posts(creators, shape.n_posts, start_us, end_us, rng(POSTS_STREAM))
    write_catalog(out, users, creators, posts, rng)
    n_users, n_posts = len(users.signup_us), len(posts.creator)
    say(f"wrote {n_users:,} users, {shape.n_creators:,} creators, {n_posts:,} posts")

    calendar = base_calendar(start, shape.n_days, rng(CALENDAR_STREAM))
    calendar = with_bursts(
        calendar, expected_volume(life, calendar.factor), rng(CALENDAR_STREAM, 1)
    )
    weights = user_weights(life, calendar.factor)
    crawls = plan_crawls(life.bots, life.first_day, calendar.delivered, shape, rng(BOTS_STREAM))
    sampler = EventSampler(users, creators, posts, origin_us)
    engagement = PairEngagement(shape.n_creators, origin_us)
    bot_days, bot_events = np.zeros(n_users, np.int64), np.zeros(n_users, np.int64)
    empty_days: list[dt.date] = []
    next_event_id, month_events = 1, 0
    for index in range(shape.n_days):
        day, day_us = calendar.day(index), start_us + index * US_PER_DAY
        day_events: list[DayEvents] = []
        if calendar.delivered[index]:
            day_rng = rng(EVENTS_STREAM, index)
            active = (life.first_day <= index) & (index < life.end_day)
            day_weights = np.where(active, weights, 0.0)
            n_events = int(day_rng.poisson(calendar.factor[index] * day_weights.sum()))
            organic = sampler.day(day_us, n_events, day_rng, user_weights=day_weights)
            engagement.add(organic.user, organic.creator, organic.kind, organic.at_us)
            day_events.append(organic)
            for bot, count in crawls.get(index, []):
                bot_rng = rng(BOTS_STREAM, index, bot)
                day_events.append(crawl(bot, count, posts, day_us, bot_rng))
                bot_days[bot] += 1
                bot_events[bot] += len(day_events[-1].user)
        events = merged(day_events) if day_events else None
        if events is None or len(events.user) == 0:
            # Nothing happened, or nothing was delivered: either way the day has no folder.
            empty_days.append(day)
        else:
            folder = landing_day_folder(out, day)
            write_parquet(tables.events_table(events, next_event_id), folder / "part-0.parquet")
            touch(folder / DAY_COMPLETE_MARKER)
            next_event_id += len(events.user)
            month_events += len(events.user)
        if index == shape.n_days - 1 or calendar.day(index + 1).month != day.month:
            say(f"month {day:%Y-%m}: {month_events:,} events")
            month_events = 0

    subscriptions = draw_subscriptions(engagement, end_us, rng(SUBS_STREAM))
    write_parquet(
        tables.subscriptions_table(subscriptions),
        SUBSCRIPTIONS.folder(out) / "subscriptions.parquet",
    )
    truth_rows = write_truth(truth_out, users, creators)
    bots = life.bots
    truth_rows |= write_bot_truth(truth_out, bots, bot_days[bots], bot_events[bots])
    rows = {
        USERS.name: n_users,
        CREATORS.name: shape.n_creators,
        POSTS.name: n_posts,
        SUBSCRIPTIONS.name: len(subscriptions.user),
        EVENTS.name: next_event_id - 1,
    }
    return GenerationSummary(
        scale=shape.name,
        seed=seed,
        start=start,
        days=shape.n_days,
        rows=rows,
        out=out,
        truth_out=truth_out,
        seconds=time.perf_counter() - began,
        truth_rows=truth_rows,
        profile="irregular",
        empty_days=tuple(empty_days),
    )
