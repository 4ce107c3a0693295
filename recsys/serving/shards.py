"""Scoring sharded by reader: user_creators, feed_creators and user_posts computed for `user_id % N`
slices, each slice written as its own Parquet part, the parts assembled into the tables.

A shard reads only its readers' subscriptions and opened posts (the filter runs in the warehouse)
and scores them with the functions of `user_tables`, whose results for one reader depend on that
reader's rows alone (top-n per user, the same fallback lists for every cold reader), so the
assembled tables hold the rows one unsharded run would. DuckDB admits one writer per file: shards
never write the warehouse, only their own part; the assembly writes both tables in one
transaction.

Each part carries a stamp: a fingerprint of the inputs its shard read, the model version and the
table parameters. Assembling takes a part only when its stamp matches what the shard would read
now; a missing or stale part is scored again where the assembly runs, so the tables are right
whether or not the shards ran first (their runs only move the work elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.identifiers import checked_identifier
from recsys.models.fingerprint import fingerprint
from recsys.serving.inputs import (
    ACTIVE_SUBSCRIPTIONS,
    CREATOR_FEATURES,
    FEED_POSTS,
    OPENED_POSTS,
    SERVED_USERS,
    CreatorInputs,
    FeedInputs,
)
from recsys.serving.user_tables import (
    FeedParams,
    feed_creators,
    user_creators_table,
    user_posts,
)
from recsys.warehouse import latest_event_at, transaction

if TYPE_CHECKING:
    import duckdb

    from recsys.models.als import AlsFactors

USER_CREATORS = "user_creators"
FEED_CREATORS = "feed_creators"
USER_POSTS = "user_posts"
SHARDED_TABLES = (USER_CREATORS, FEED_CREATORS, USER_POSTS)
# Bump when scoring changes what a part holds: parts stamped before are scored again.
SHARD_CODE_VERSION = "shards-2"
STAMP_KEY = b"creator_discovery.shard_stamp"
VERSION_COLUMN = "model_version"


@dataclass(frozen=True)
class Shard:
    """The readers whose `user_id % count == index`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} does not exist among {self.count} shards")

    @classmethod
    def all(cls, count: int) -> list[Shard]:
        return [cls(index, count) for index in range(count)]

    @property
    def key(self) -> str:
        """The shard's partition key."""
        return str(self.index)

    def holds(self, user_ids: np.ndarray | pd.Series) -> np.ndarray:
        """Which of `user_ids` belong to this shard."""
        return np.asarray(user_ids, dtype=np.int64) % self.count == self.index


@dataclass(frozen=True)
class ScoringParams:
    """What the tables are cut to: rows per reader and the feed's scoring."""

    creators_per_user: int
    posts_per_user: int
    feed: FeedParams


@dataclass(frozen=True)
class ShardInputs:
    """One shard's readers with their subscriptions and opened posts, and the catalog they are
    scored against (the same for every shard)."""

    creators: CreatorInputs
    feed: FeedInputs


def read_shard_inputs(conn: duckdb.DuckDBPyConnection, shard: Shard) -> ShardInputs:
    """The inputs of `user_tables` for this shard's readers (the other queries unchanged)."""

    def of_shard(query: str) -> pd.DataFrame:
        # SQL's % keeps the dividend's sign, numpy's (Shard.holds) the divisor's: a negative id
        # lands in the same shard either way.
        return conn.execute(
            f"SELECT * FROM ({query}) AS of_all WHERE ((user_id % $n) + $n) % $n = $k",
            {"n": shard.count, "k": shard.index},
        ).df()

    users = of_shard(SERVED_USERS)["user_id"].to_numpy()
    posts = conn.execute(FEED_POSTS).df()
    return ShardInputs(
        creators=CreatorInputs(
            users=users,
            subscribed=of_shard(ACTIVE_SUBSCRIPTIONS),
            creators=conn.execute(CREATOR_FEATURES).df(),
        ),
        feed=FeedInputs(
            users=users,
            posts=posts,
            seen=of_shard(OPENED_POSTS),
            as_of=pd.Timestamp(latest_event_at(conn)),
        ),
    )


def shard_stamp(
    inputs: ShardInputs, shard: Shard, model_version: int, params: ScoringParams
) -> str:
    """What a part was scored from: its shard, inputs, model version and table parameters."""
    frames = {
        "users": pd.DataFrame({"user_id": inputs.creators.users}),
        "subscribed": inputs.creators.subscribed,
        "creators": inputs.creators.creators,
        "posts": inputs.feed.posts,
        "seen": inputs.feed.seen,
    }
    described = {
        "shard": [shard.index, shard.count],
        "model_version": model_version,
        "as_of": str(inputs.feed.as_of),
        "params": asdict(params),
    }
    return fingerprint(frames, described, SHARD_CODE_VERSION)


def score_shard(
    factors: AlsFactors, inputs: ShardInputs, params: ScoringParams, model_version: int
) -> dict[str, pd.DataFrame]:
    """user_creators, feed_creators and user_posts of the shard's readers, with the model
    version column."""
    creators = user_creators_table(factors, inputs.creators, params.creators_per_user)
    feed = inputs.feed
    candidates = feed_creators(factors, feed.users, params.feed)
    posts = user_posts(
        candidates,
        feed.users,
        feed.posts,
        feed.seen,
        feed.as_of,
        params.posts_per_user,
        params.feed,
    )
    version = np.int32(model_version)
    tables = {USER_CREATORS: creators, FEED_CREATORS: candidates, USER_POSTS: posts}
    return {name: table.assign(**{VERSION_COLUMN: version}) for name, table in tables.items()}


def part_path(folder: Path, shard: Shard, table: str) -> Path:
    """Where a shard's part of a table lives: one folder per shard count, one file per shard."""
    table_folder = Path(folder) / f"{shard.count}_shards" / checked_identifier(table)
    return table_folder / f"{shard.key}.parquet"


def write_parts(folder: Path, shard: Shard, tables: dict[str, pd.DataFrame], stamp: str) -> None:
    """Write the shard's parts, each complete or not at all (a rename), stamped."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for table, frame in tables.items():
        path = part_path(folder, shard, table)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        arrow = arrow.replace_schema_metadata(
            {**(arrow.schema.metadata or {}), STAMP_KEY: stamp.encode()}
        )
        partial = path.with_suffix(f".{os.getpid()}.partial")
        pq.write_table(arrow, partial)
        partial.replace(path)


def part_stamp(folder: Path, shard: Shard, table: str) -> str | None:
    """The stamp a part was written with; None when there is no part."""
    import pyarrow.parquet as pq

    path = part_path(folder, shard, table)
    if not path.exists():
        return None
    metadata = pq.read_schema(path).metadata or {}
    stamp = metadata.get(STAMP_KEY)
    return stamp.decode() if stamp is not None else None


def parts_are_current(folder: Path, shard: Shard, stamp: str) -> bool:
    """Whether every table's part of the shard carries `stamp`."""
    return all(part_stamp(folder, shard, table) == stamp for table in SHARDED_TABLES)


def complete_parts(
    conn: duckdb.DuckDBPyConnection,
    load_factors: Callable[[], AlsFactors],
    model_version: int,
    params: ScoringParams,
    folder: Path,
    count: int,
    progress: Callable[[str], None] = lambda _line: None,
) -> tuple[list[int], list[int]]:
    """Make every shard's parts current: keep those stamped with what the shard reads now, score
    the others here. The factors are loaded only when some shard needs scoring (at scale they
    are the largest thing read). Returns the shards kept and the shards scored."""
    kept, scored = [], []
    factors: AlsFactors | None = None
    for shard in Shard.all(count):
        inputs = read_shard_inputs(conn, shard)
        stamp = shard_stamp(inputs, shard, model_version, params)
        if parts_are_current(folder, shard, stamp):
            kept.append(shard.index)
            continue
        progress(f"shard {shard.index} of {count}: no current part, scoring it here")
        factors = factors or load_factors()
        write_parts(folder, shard, score_shard(factors, inputs, params, model_version), stamp)
        scored.append(shard.index)
    return kept, scored


def assemble(
    conn: duckdb.DuckDBPyConnection, folder: Path, count: int, schema: str
) -> dict[str, int]:
    """Replace each of the schema's SHARDED_TABLES with the union of its parts, all in one
    transaction (readers see the old tables or the new); rows per table."""
    checked_identifier(schema)
    rows = {}
    with transaction(conn):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in SHARDED_TABLES:
            paths = [str(part_path(folder, shard, table)) for shard in Shard.all(count)]
            conn.execute(
                f"CREATE OR REPLACE TABLE {schema}.{table} AS SELECT * FROM read_parquet(?)",
                [paths],
            )
            [(rows[table],)] = conn.execute(f"SELECT count(*) FROM {schema}.{table}").fetchall()
    return rows
