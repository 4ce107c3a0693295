"""What readers were served, kept by day: the top of each reader table as it went out.

The recommendation tables are replaced on every build, so yesterday's lists are gone by the time
today's reading can judge them. After each export the top `kept_ranks` rows of each reader table
are copied into one warehouse table under the day they start serving: the day after the data's
latest event, on the data's own clock. Only the ranks the metrics read are kept, and above
`panel_readers` readers only a stable panel of them (chosen by a hash of the id, so the same
readers are kept from day to day), so a year of copies stays a small table at any scale; older
copies than `keep_days` before the newest are dropped.

A day keeps one copy, the latest: re-copying a serving day (a retrain on the same data) replaces
that day's rows with the tables that serve from then on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recsys.identifiers import checked_identifier, checked_table
from recsys.models.evaluation import K
from recsys.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

SERVED_HISTORY = "monitoring.served_history"
# Each reader table and the column naming its item: creators, or posts.
READER_TABLES: dict[str, str] = {
    "recommendations.user_creators": "creator_id",
    "recommendations.user_posts": "post_id",
    "recommendations.notification_candidates": "post_id",
}
# Hash buckets the panel is drawn from: a reader is kept when their bucket is below the panel's
# share of them, so a larger share keeps every reader a smaller one kept.
PANEL_BUCKETS = 10_000

CREATE_HISTORY = f"""
    CREATE TABLE IF NOT EXISTS {SERVED_HISTORY} (
        served_on DATE NOT NULL,
        table_name VARCHAR NOT NULL,
        user_id BIGINT NOT NULL,
        item_id BIGINT NOT NULL,
        rank INTEGER NOT NULL,
        model_version INTEGER
    )
"""


@dataclass(frozen=True)
class ServedPolicy:
    """How much of what was served is kept (see the module docstring)."""

    kept_ranks: int = K
    panel_readers: int = 50_000
    keep_days: int = 120


@dataclass(frozen=True)
class ServedCopy:
    """One serving day's copy: its day, rows per table, and the share of readers kept."""

    served_on: dt.date
    rows: dict[str, int]
    panel_share: float


def serving_day(as_of: dt.datetime) -> dt.date:
    """The first day tables built on events up to `as_of` serve: the next one."""
    return as_of.date() + dt.timedelta(days=1)


def keep_served(
    conn: duckdb.DuckDBPyConnection,
    served_on: dt.date,
    policy: ServedPolicy = ServedPolicy(),
    tables: dict[str, str] = READER_TABLES,
) -> ServedCopy:
    """Copy the top of each reader table under `served_on`, replacing that day's earlier copy."""
    readers = _readers(conn, tables)
    share = min(1.0, policy.panel_readers / readers) if readers else 1.0
    kept_buckets = round(share * PANEL_BUCKETS)
    schema = SERVED_HISTORY.split(".")[0]
    rows: dict[str, int] = {}
    with transaction(conn):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(CREATE_HISTORY)
        conn.execute(f"DELETE FROM {SERVED_HISTORY} WHERE served_on = ?", [served_on])
        for table, item in tables.items():
            conn.execute(
                f"""
                INSERT INTO {SERVED_HISTORY}
                SELECT ?, ?, user_id, {checked_identifier(item)}, rank, model_version
                FROM {checked_table(table)}
                WHERE rank <= ? AND hash(user_id) % {PANEL_BUCKETS} < ?
                """,
                [served_on, table.split(".")[1], policy.kept_ranks, kept_buckets],
            )
            rows[table.split(".")[1]] = _single(
                conn,
                f"SELECT count(*) FROM {SERVED_HISTORY} WHERE served_on = ? AND table_name = ?",
                [served_on, table.split(".")[1]],
            )
        conn.execute(
            f"DELETE FROM {SERVED_HISTORY} WHERE served_on < "
            f"(SELECT max(served_on) FROM {SERVED_HISTORY}) - ?::INTEGER",
            [policy.keep_days],
        )
    return ServedCopy(served_on, rows, share)


def served_copy_for(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dt.date | None:
    """The copy readers saw on `day`: the newest one serving from that day or earlier (tables are
    served until the next export replaces them); None when nothing was served yet."""
    if not _exists(conn):
        return None
    return _single(conn, f"SELECT max(served_on) FROM {SERVED_HISTORY} WHERE served_on <= ?", [day])


def served_days(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Every serving day with a copy, oldest first."""
    if not _exists(conn):
        return []
    query = f"SELECT DISTINCT served_on FROM {SERVED_HISTORY} ORDER BY 1"
    return [row[0] for row in conn.execute(query).fetchall()]


def _readers(conn: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> int:
    union = " UNION ".join(f"SELECT user_id FROM {checked_table(table)}" for table in tables)
    return _single(conn, f"SELECT count(*) FROM ({union})")


def _exists(conn: duckdb.DuckDBPyConnection) -> bool:
    schema, name = SERVED_HISTORY.split(".")
    return bool(
        _single(
            conn,
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        )
    )


def _single(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The one value a query returns, the result read to its end (DuckDB refuses other work on a
    connection with a result left unread)."""
    [(value,)] = conn.execute(sql, params).fetchall()
    return value
