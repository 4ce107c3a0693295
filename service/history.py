"""A reader's recent history and a creator's top posts, for the explorer, from the analysts'
snapshot (Parquet behind an atomic pointer: the service never opens the warehouse the pipeline
writes). Resolved once per call, so one page reads one snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.publish.snapshots import current

HISTORY_ROWS = 10


@dataclass(frozen=True)
class ReaderHistory:
    subscriptions: list[dict]
    """Active subscriptions: creator_id, creator_name, tier, started_at."""
    engaged: list[dict]
    """Creators the reader engaged with most (decayed strength, training window)."""


class History:
    def __init__(self, analytics_dir: Path) -> None:
        self.analytics_dir = analytics_dir

    def reader(self, user_id: int) -> ReaderHistory | None:
        """None while no snapshot is published."""
        tables = self._tables()
        if tables is None:
            return None
        with duckdb.connect() as conn:
            subscriptions = _records(
                conn,
                "SELECT s.creator_id, c.creator_name, s.tier, s.started_at "
                "FROM read_parquet(?) s JOIN read_parquet(?) c USING (creator_id) "
                "WHERE s.user_id = ? AND s.ended_at IS NULL ORDER BY s.started_at DESC LIMIT ?",
                [
                    tables["staging.stg_subscriptions"],
                    tables["staging.stg_creators"],
                    user_id,
                    HISTORY_ROWS,
                ],
            )
            engaged = _records(
                conn,
                "SELECT i.creator_id, c.creator_name, i.n_events, i.strength, i.last_event_at "
                "FROM read_parquet(?) i JOIN read_parquet(?) c USING (creator_id) "
                "WHERE i.user_id = ? ORDER BY i.strength DESC LIMIT ?",
                [
                    tables["marts.interactions_train"],
                    tables["staging.stg_creators"],
                    user_id,
                    HISTORY_ROWS,
                ],
            )
        return ReaderHistory(subscriptions, engaged)

    def top_posts(self, creator_id: int, n: int = HISTORY_ROWS) -> list[dict]:
        """The creator's most-read posts (distinct readers), newest first among ties."""
        tables = self._tables()
        if tables is None:
            return []
        with duckdb.connect() as conn:
            return _records(
                conn,
                "SELECT post_id, title, published_at, n_distinct_readers FROM read_parquet(?) "
                "WHERE creator_id = ? ORDER BY n_distinct_readers DESC, published_at DESC LIMIT ?",
                [tables["marts.post_features"], creator_id, n],
            )

    def _tables(self) -> dict[str, str] | None:
        try:
            snapshot = current(self.analytics_dir)
        except FileNotFoundError:
            return None
        return {table: str(snapshot.path(table)) for table in snapshot.tables}


def _records(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
