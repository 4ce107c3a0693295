"""Read-only access to the product database the export writes (SQLite or PostgreSQL).

Each request reads inside one read transaction, so every row it returns comes from one export
version: the export swaps all its tables in one transaction (recsys/publish/export/). A
connection lives as long as its thread: a long-lived SQLite connection sees the rename swap on
its next statement, so a new export version is served from the next request without a restart.
Queries are parameterized; table names come from recsys/publish/export/tables.py only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from recsys.publish.export.log import LIVE_STATUSES, LOG_TABLE
from recsys.publish.export.target import Target, parse_target

BUSY_TIMEOUT_SECONDS = 5.0


class DatabaseUnavailable(RuntimeError):
    """The product database does not exist yet, or holds no export."""


class Reader:
    """One read transaction: `rows(sql, params)` with `{p}` placeholders and `{schema}` prefix."""

    def __init__(self, conn: Any, placeholder: str, prefix: str) -> None:
        self._conn = conn
        self._placeholder = placeholder
        self._prefix = prefix

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]:
        statement = sql.format(p=self._placeholder, s=self._prefix)
        try:
            return list(self._conn.execute(statement, params).fetchall())
        except Exception as error:
            if _names_a_missing_table(error):
                # A database exported before the table existed: the next export brings it.
                raise DatabaseUnavailable(f"the product database lacks a table: {error}") from None
            raise

    def live_version(self) -> int:
        """The export version live in this transaction (the export log's latest live entry)."""
        marks = ", ".join("{p}" for _ in LIVE_STATUSES)
        found = self.rows(
            f"SELECT version FROM {{s}}{LOG_TABLE} WHERE status IN ({marks}) "
            "ORDER BY id DESC LIMIT 1",
            LIVE_STATUSES,
        )
        if not found:
            raise DatabaseUnavailable("the product database holds no export yet")
        return int(found[0][0])


def _names_a_missing_table(error: Exception) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return str(error).startswith("no such table")
    return type(error).__name__ == "UndefinedTable"  # psycopg.errors, imported only for PostgreSQL


class ProductDatabase:
    """Per-thread read-only connections to the product database at `url`."""

    def __init__(self, url: str) -> None:
        self.target: Target = parse_target(url)
        self._local = threading.local()

    @property
    def masked_url(self) -> str:
        return self.target.masked

    @contextmanager
    def read(self) -> Iterator[Reader]:
        """A read transaction on this thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        if self.target.kind == "sqlite":
            conn.execute("BEGIN")
            try:
                yield Reader(conn, "?", "")
            finally:
                conn.execute("COMMIT")
        else:
            with conn.transaction():
                yield Reader(conn, "%s", f'"{self.target.schema}".')

    def _connect(self) -> Any:
        if self.target.kind == "sqlite":
            assert self.target.path is not None
            if not self.target.path.is_file():
                raise DatabaseUnavailable(
                    f"{self.target.masked} does not exist yet: export first (make export)"
                )
            conn = sqlite3.connect(
                f"{self.target.path.as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_SECONDS,
                check_same_thread=False,
            )
            conn.execute("PRAGMA query_only = ON")
            return conn
        import psycopg

        conn = psycopg.connect(self.target.conninfo, autocommit=True)
        # Every transaction() is BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        return conn
