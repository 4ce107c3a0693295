"""What every profile's generator shares: its random streams, the catalog writer, the summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recsys.datagen import tables
from recsys.datagen.files import contract_schema, write_parquet, write_parquet_batches
from recsys.datagen.population import Creators, Users
from recsys.datagen.posts import Posts
from recsys.ingest.landing import CREATORS, POSTS, USERS

# Independent random streams per purpose (and per day / slice), so that each piece is
# reproducible on its own and changing one never shifts the others.
USERS_STREAM, CREATORS_STREAM, POSTS_STREAM, TEXT_STREAM, EVENTS_STREAM, SUBS_STREAM = range(6)
DRIFT_STREAM = 6
# Streams only the irregular profile draws from (recsys.datagen.irregular).
CALENDAR_STREAM, LIFECYCLE_STREAM, BOTS_STREAM = 7, 8, 9
POSTS_PER_SLICE = 100_000

StreamFactory = Callable[..., np.random.Generator]


def streams(seed: int) -> StreamFactory:
    """rng(*stream): the generator of one stream of this seed."""

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, *stream])

    return rng


@dataclass(frozen=True)
class GenerationSummary:
    """What one generation wrote: rows per table, days, where, and how long it took.

    `days` is the span from `start`; `empty_days` lists the days of that span without a delivery
    (no folder at all), which only the irregular profile has.
    """

    scale: str
    seed: int
    start: dt.date
    days: int
    rows: dict[str, int]
    out: Path
    truth_out: Path
    seconds: float
    truth_rows: dict[str, int] = field(default_factory=dict)
    profile: str = "default"
    empty_days: tuple[dt.date, ...] = ()


def write_catalog(
    out: Path, users: Users, creators: Creators, posts: Posts, rng: StreamFactory
) -> None:
    """Write the users, creators and posts landing files (post text is built in slices)."""
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
