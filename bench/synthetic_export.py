"""Synthetic recommendation tables of the real shape, for the export's tests and benchmark.

Exactly the columns and types of the spec (tables.py), sized as the platform would size them for
`users` users: 20 creators and 20 posts per user, 3 notification candidates for every other user,
10 neighbours per creator and per post, with 25 posts per creator and a creator per 25 users. A
table the export derives (reader_recent_posts) gets what it is derived from: 12 events per user
over 30 days in staging.stg_events.
The content is a deterministic function of the seed; another seed gives other tables.
"""

from __future__ import annotations

import duckdb

from recsys.identifiers import quoted
from recsys.publish.export.tables import TABLES, WAREHOUSE_SCHEMA, TableSpec

SCORE = "(hash(s, $seed, 1) % 1000000) / 1000000.0"
SOURCE = "CASE WHEN hash(s, $seed, 2) % 50 = 0 THEN 'popular_and_fresh' ELSE 'als' END"
# Per table: how many rows per subject, and each column as an expression of the row number s.
SHAPES: dict[str, tuple[str, dict[str, str]]] = {
    "user_creators": (
        "$users * 20",
        {
            "user_id": "s // 20 + 1",
            "creator_id": "hash(s, $seed, 3) % $creators + 1",
            "rank": "s % 20 + 1",
        },
    ),
    "user_posts": (
        "$users * 20",
        {
            "user_id": "s // 20 + 1",
            "post_id": "hash(s, $seed, 4) % $posts + 1",
            "creator_id": "hash(s, $seed, 5) % $creators + 1",
            "rank": "s % 20 + 1",
        },
    ),
    "notification_candidates": (
        "$users // 2 * 3",
        {
            "user_id": "s // 3 * 2 + 1",
            "post_id": "hash(s, $seed, 6) % $posts + 1",
            "creator_id": "hash(s, $seed, 7) % $creators + 1",
            "rank": "s % 3 + 1",
        },
    ),
    "similar_creators": (
        "$creators * 10",
        {
            "creator_id": "s // 10 + 1",
            "similar_creator_id": "hash(s, $seed, 8) % $creators + 1",
            "rank": "s % 10 + 1",
        },
    ),
    "similar_posts": (
        "$posts * 10",
        {
            "post_id": "s // 10 + 1",
            "similar_post_id": "hash(s, $seed, 9) % $posts + 1",
            "rank": "s % 10 + 1",
        },
    ),
}


# What a derived table is derived from: the events, the columns its query reads.
EVENTS = (
    "staging.stg_events",
    "$users * 12",
    {
        "user_id": "s // 12 + 1",
        "post_id": "(s * 7919 + $seed) % $posts + 1",
        "creator_id": "((s * 7919 + $seed) % $posts) // 25 + 1",
        "event_type": "['view', 'read', 'like', 'comment', 'share']"
        "[CAST(hash(s, $seed, 10) % 5 AS INT) + 1]",
        "event_at": "TIMESTAMP '2026-09-01' "
        "+ to_seconds(CAST(hash(s, $seed, 11) % 2592000 AS INT))",
    },
)


def write_synthetic_tables(
    conn: duckdb.DuckDBPyConnection,
    users: int,
    seed: int = 7,
    model_version: int = 1,
    specs: tuple[TableSpec, ...] = TABLES,
) -> dict[str, int]:
    """(Re)create the tables in the warehouse schema; returns each table's row count."""
    creators = max(users // 25, 10)
    params = {"users": users, "creators": creators, "posts": creators * 25, "seed": seed}
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(WAREHOUSE_SCHEMA)}")
    sizes = {}
    if any(spec.query is not None for spec in specs):
        _write_events(conn, params)
    for spec in specs:
        if spec.query is not None:
            sizes[spec.name] = conn.execute(
                f"SELECT count(*) FROM {spec.warehouse_table}"
            ).fetchone()[0]
            continue
        count, expressions = SHAPES[spec.name]
        values = {
            **expressions,
            "score": SCORE,
            "source": SOURCE,
            "model_version": "$model_version",
        }
        select = ", ".join(
            f"CAST({values[c.name]} AS {c.type}) AS {quoted(c.name)}" for c in spec.columns
        )
        used = {
            k: v
            for k, v in {**params, "model_version": model_version}.items()
            if f"${k}" in select + count
        }
        conn.execute(
            f"CREATE OR REPLACE TABLE {quoted(WAREHOUSE_SCHEMA)}.{quoted(spec.name)} AS "
            f"SELECT {select} FROM range({count}) AS t(s)",
            used,
        )
        sizes[spec.name] = conn.execute(
            f"SELECT count(*) FROM {quoted(WAREHOUSE_SCHEMA)}.{quoted(spec.name)}"
        ).fetchone()[0]
    return sizes


def _write_events(conn: duckdb.DuckDBPyConnection, params: dict[str, int]) -> None:
    table, count, expressions = EVENTS
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(table.split('.')[0])}")
    select = ", ".join(f"{value} AS {quoted(name)}" for name, value in expressions.items())
    used = {k: v for k, v in params.items() if f"${k}" in select + count}
    conn.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM range({count}) AS t(s)", used
    )
