"""Generate a whole platform: dimension tables, one event folder per day, subscriptions, truth."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recsys.datagen import tables
from recsys.datagen.clock import US_PER_DAY, day_start_us
from recsys.datagen.drift import DRIFTS, Drift, make_drift
from recsys.datagen.engagement import PairEngagement, draw_subscriptions
from recsys.datagen.events import WEEKEND_FACTOR, EventSampler
from recsys.datagen.files import contract_schema, touch, write_parquet, write_parquet_batches
from recsys.datagen.population import make_creators, make_users
from recsys.datagen.posts import BACKFILL_DAYS, make_posts
from recsys.datagen.scales import DEFAULT_START, Scale, resolve_scale
from recsys.datagen.truth import write_truth
from recsys.ingest.landing import CREATORS, DAY_COMPLETE_MARKER, EVENTS, POSTS, SUBSCRIPTIONS, USERS
from recsys.ingest.landing import day_folder as landing_day_folder

# Independent random streams per purpose (and per day / slice), so that each piece is
# reproducible on its own and changing one never shifts the others.
USERS_STREAM, CREATORS_STREAM, POSTS_STREAM, TEXT_STREAM, EVENTS_STREAM, SUBS_STREAM = range(6)
DRIFT_STREAM = 6
POSTS_PER_SLICE = 100_000


@dataclass(frozen=True)
class GenerationSummary:
    """What one generation wrote: rows per table, days, where, and how long it took."""

    scale: str
    seed: int
    start: dt.date
    days: int
    rows: dict[str, int]
    out: Path
    truth_out: Path
    seconds: float
    truth_rows: dict[str, int] = field(default_factory=dict)


def generate_platform(
    out: Path,
    truth_out: Path,
    scale: Scale | str,
    seed: int,
    start: dt.date = DEFAULT_START,
    progress: Callable[[str], None] | None = None,
    drift_from: dt.date | None = None,
    drift: str = "topic_shift",
) -> GenerationSummary:
    """Write the landing zone (recsys.ingest.landing) under `out`, the truth under `truth_out`.

    With `drift_from`, the days from then on drift (see recsys.datagen.drift); earlier days,
    users, creators, posts and the truth (the tastes before the drift) are as without drift, while
    later days and the subscriptions (drawn from all engagement) differ.
    """
    began = time.perf_counter()
    scale = resolve_scale(scale)
    say = progress or (lambda _message: None)
    start_us, end_us = day_start_us(start), day_start_us(start) + scale.n_days * US_PER_DAY
    origin_us = start_us - (BACKFILL_DAYS + 1) * US_PER_DAY

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, *stream])

    users = make_users(scale.n_users, start_us, scale.n_days, rng(USERS_STREAM))
    creators = make_creators(scale.n_creators, start_us, scale.n_days, rng(CREATORS_STREAM))
    posts = make_posts(creators, scale.n_posts, start_us, end_us, rng(POSTS_STREAM))
    write_parquet(tables.users_table(users), USERS.folder(out) / "users.parquet")
    write_parquet(
        tables.creators_table(creators, rng(CREATORS_STREAM, 1)),
        CREATORS.folder(out) / "creators.parquet",
    )
    n_posts = len(posts.creator)
    slices = (
        tables.posts_table(
            posts, creators, lo, min(lo + POSTS_PER_SLICE, n_posts), rng(TEXT_STREAM, i)
        )
        for i, lo in enumerate(range(0, n_posts, POSTS_PER_SLICE))
    )
    write_parquet_batches(slices, contract_schema(POSTS), POSTS.folder(out) / "posts.parquet")
    say(f"wrote {scale.n_users:,} users, {scale.n_creators:,} creators, {n_posts:,} posts")

    if drift not in DRIFTS:
        raise ValueError(f"unknown drift {drift!r}; choose one of {list(DRIFTS)}")
    drifted: Drift | None = None
    if drift_from is not None:
        drifted = make_drift(drift, users, rng(DRIFT_STREAM))
    sampler = EventSampler(users, creators, posts, origin_us)
    engagement = PairEngagement(scale.n_creators, origin_us)
    next_event_id = 1
    for index in range(scale.n_days):
        day = start + dt.timedelta(days=index)
        day_rng = rng(EVENTS_STREAM, index)
        expected = scale.events_per_day * (WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)
        if drifted is not None and drift_from is not None and day >= drift_from:
            n_events = int(day_rng.poisson(expected * drifted.volume_factor))
            events = sampler.day(
                day_start_us(day),
                n_events,
                day_rng,
                taste=drifted.taste,
                event_type_p=drifted.event_type_p,
                dwell_median=drifted.dwell_median,
            )
        else:
            events = sampler.day(day_start_us(day), int(day_rng.poisson(expected)), day_rng)
        folder = landing_day_folder(out, day)
        write_parquet(tables.events_table(events, next_event_id), folder / "part-0.parquet")
        touch(folder / DAY_COMPLETE_MARKER)
        next_event_id += len(events.user)
        engagement.add(events.user, events.creator, events.kind, events.at_us)
        say(f"day {day.isoformat()}: {len(events.user):,} events")

    subscriptions = draw_subscriptions(engagement, end_us, rng(SUBS_STREAM))
    write_parquet(
        tables.subscriptions_table(subscriptions),
        SUBSCRIPTIONS.folder(out) / "subscriptions.parquet",
    )
    truth_rows = write_truth(truth_out, users, creators)
    rows = {
        USERS.name: scale.n_users,
        CREATORS.name: scale.n_creators,
        POSTS.name: n_posts,
        SUBSCRIPTIONS.name: len(subscriptions.user),
        EVENTS.name: next_event_id - 1,
    }
    return GenerationSummary(
        scale=scale.name,
        seed=seed,
        start=start,
        days=scale.n_days,
        rows=rows,
        out=out,
        truth_out=truth_out,
        seconds=time.perf_counter() - began,
        truth_rows=truth_rows,
    )
