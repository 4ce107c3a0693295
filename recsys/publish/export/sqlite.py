"""The embedded target: one SQLite file in WAL mode, so readers never wait for an export.

Staging tables are loaded one transaction per table, then swapped by ALTER TABLE RENAME inside
BEGIN IMMEDIATE. A reader's transaction sees the schema and rows of one commit, so it sees the old
or the new version of all five tables. `legacy_alter_table` keeps a rename from rewriting the
product's own views and triggers: they go on naming the live tables, not the displaced ones.
The exporter lock is an flock on `<file>.export-lock`, released by the kernel if the process dies.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from recsys.identifiers import quoted
from recsys.publish.export.backend import Backend, LockClock, Pause
from recsys.publish.export.errors import ExporterBusy
from recsys.publish.export.log import LOG_TABLE
from recsys.publish.export.tables import SQLITE_TYPES, VERSION_COLUMN, TableSpec
from recsys.publish.export.target import Target
from recsys.publish.export.warehouse import row_batches

if TYPE_CHECKING:
    import duckdb

LOCK_POLL_SECONDS = 0.1


class SqliteBackend(Backend):
    dialect = "sqlite"
    placeholder = "?"
    driver_errors = (sqlite3.Error,)

    @classmethod
    def open(
        cls, target: Target, specs: tuple[TableSpec, ...], lock_timeout: float
    ) -> SqliteBackend:
        assert target.path is not None
        target.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target.path, isolation_level=None, timeout=lock_timeout)
        conn.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL loses no committed transaction when a process dies (only on power loss).
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA legacy_alter_table = ON")
        return cls(target, conn, specs)

    def name(self, table: str) -> str:
        return quoted(table)

    def log_ddl(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.name(LOG_TABLE)} ("
            "id INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT NOT NULL, status TEXT NOT NULL, "
            "version INTEGER, replaced_version INTEGER, warehouse TEXT, model_versions TEXT, "
            "row_counts TEXT, checksums TEXT, copy_seconds REAL, swap_lock_ms REAL, "
            "started_at TEXT NOT NULL, finished_at TEXT, message TEXT)"
        ]

    def execute(self, sql: str, params: list | tuple = ()) -> sqlite3.Cursor:
        return super().execute(
            sql, [v.isoformat() if hasattr(v, "isoformat") else v for v in params]
        )

    def tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows.fetchall()}

    @contextmanager
    def exclusive(self, wait_seconds: float) -> Iterator[None]:
        assert self.target.path is not None
        lock_path = self.target.path.with_name(self.target.path.name + ".export-lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ExporterBusy(
                            f"{self.target.masked}: another export or rollback is running "
                            f"(it holds {lock_path})"
                        ) from None
                    time.sleep(LOCK_POLL_SECONDS)
            yield
        finally:
            os.close(descriptor)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def locked_transaction(self, tables: list[str], lock_timeout: float) -> Iterator[LockClock]:
        # BEGIN IMMEDIATE takes the database's one write lock, waiting up to the connection's
        # timeout (lock_timeout, set when opened); readers in WAL mode never hold it, they keep
        # reading their snapshot.
        with self.transaction():
            clock = LockClock(time.perf_counter())
            yield clock

    def is_busy(self, error: BaseException) -> bool:
        return getattr(error, "sqlite_errorcode", None) in (
            sqlite3.SQLITE_BUSY,
            sqlite3.SQLITE_LOCKED,
        )

    def load(
        self, spec: TableSpec, warehouse: duckdb.DuckDBPyConnection, version: int, pause: Pause
    ) -> int:
        columns = [f"{quoted(c.name)} {SQLITE_TYPES[c.type]} NOT NULL" for c in spec.columns]
        columns.append(f"{quoted(VERSION_COLUMN)} INTEGER NOT NULL")
        insert = (
            f"INSERT INTO {self.name(spec.staging)} VALUES "
            f"({', '.join('?' for _ in range(len(columns)))})"
        )
        rows = 0
        with self.transaction():
            self.conn.execute(
                f"CREATE TABLE {self.name(spec.staging)} ({', '.join(columns)}) STRICT"
            )
            for batch in row_batches(warehouse, spec, version):
                self.conn.executemany(insert, batch)
                if rows == 0:
                    pause(f"copy:{spec.name}")
                rows += len(batch)
        return rows

    def add_keys(self, spec: TableSpec, version: int) -> None:
        table = self.name(spec.staging)
        with self.transaction():
            self.conn.execute(
                f"CREATE UNIQUE INDEX {quoted(spec.key_name(version))} ON {table} "
                f"({', '.join(quoted(c) for c in spec.primary_key)})"
            )
            for columns in spec.indexes:
                self.conn.execute(
                    f"CREATE INDEX {quoted(spec.index_name(version, columns))} ON {table} "
                    f"({', '.join(quoted(c) for c in columns)})"
                )
            self.conn.execute(f"ANALYZE {table}")
