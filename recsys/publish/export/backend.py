"""What an export does in the product database, the same on SQLite and PostgreSQL.

Subclasses supply the dialect: how names are qualified, the one-exporter lock, the bulk load, and
the short transaction that holds the tables' write locks. Everything else (the log, leftovers,
checksums, the swap and the rollback) is written once here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from recsys.identifiers import quoted
from recsys.publish.export.checksum import Checksum, checksum_from_row, checksum_select
from recsys.publish.export.errors import ExportError, NoPreviousVersion
from recsys.publish.export.log import (
    ABANDONED,
    ABANDONED_MESSAGE,
    COLUMNS,
    EXPORT,
    LIVE_STATUSES,
    LOG_TABLE,
    RUNNING,
    SUCCEEDED,
    LogEntry,
    NewEntry,
    now,
)
from recsys.publish.export.tables import TableSpec
from recsys.publish.export.target import Target

if TYPE_CHECKING:
    import duckdb

# Called at named points of an export ("copy:<table>", "swap") so a fault test can stop there.
Pause = Callable[[str], None]
# Receives one human-readable line per step.
Progress = Callable[[str], None]
T = TypeVar("T")
RETRY_FIRST_DELAY = 0.25


@dataclass
class LockClock:
    """When a locking transaction got its locks, so the caller can report how long it held them."""

    started: float = 0.0

    def held_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class Backend:
    """A product database reached through a DB-API connection in autocommit mode."""

    dialect: str
    placeholder: str
    driver_errors: tuple[type[BaseException], ...]

    def __init__(self, target: Target, conn: Any, specs: tuple[TableSpec, ...]) -> None:
        self.target = target
        self.conn = conn
        self.specs = specs

    # The dialect.

    @classmethod
    def open(cls, target: Target, specs: tuple[TableSpec, ...], lock_timeout: float) -> Backend:
        """Connect; `lock_timeout` bounds every wait for a lock held by another session."""
        raise NotImplementedError

    def name(self, table: str) -> str:
        """The quoted, schema-qualified name of a table."""
        raise NotImplementedError

    def log_ddl(self) -> list[str]:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def exclusive(self, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the one-exporter lock for the block; ExporterBusy after `wait_seconds`."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def locked_transaction(
        self, tables: list[str], lock_timeout: float
    ) -> AbstractContextManager[LockClock]:
        """A transaction holding write locks on `tables`; a busy error after `lock_timeout`."""
        raise NotImplementedError

    def is_busy(self, error: BaseException) -> bool:
        raise NotImplementedError

    def load(
        self, spec: TableSpec, warehouse: duckdb.DuckDBPyConnection, version: int, pause: Pause
    ) -> int:
        """Create spec.staging and copy the warehouse table into it; returns the rows copied."""
        raise NotImplementedError

    def add_keys(self, spec: TableSpec, version: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.conn.close()

    # Shared steps.

    def execute(self, sql: str, params: list[Any] | tuple = ()) -> Any:
        """Run `sql` with {p} placeholders for bound values and {log} for the log table."""
        return self.conn.execute(
            sql.format(p=self.placeholder, log=self.name(LOG_TABLE)), list(params)
        )

    def prepare(self) -> list[str]:
        """Create the log if missing, then clean what a killed run left: drop staging and retired
        tables, mark running entries abandoned. Safe only under the exporter lock."""
        for statement in self.log_ddl():
            self.conn.execute(statement)
        cleaned = self.drop(
            [n for s in self.specs for n in (s.staging, s.retired) if n in self.tables()]
        )
        abandoned = self.execute(
            "UPDATE {log} SET status = {p}, finished_at = {p}, message = {p} "
            "WHERE status = {p} RETURNING id",
            [ABANDONED, now(), ABANDONED_MESSAGE, RUNNING],
        ).fetchall()
        return [f"dropped leftover table {n}" for n in cleaned] + [
            f"marked entry {entry_id} abandoned" for (entry_id,) in abandoned
        ]

    def entries(self, limit: int = 20) -> list[LogEntry]:
        rows = self.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {{log}} ORDER BY id DESC LIMIT {{p}}", [limit]
        ).fetchall()
        return [LogEntry.from_row(row) for row in rows]

    def live(self) -> LogEntry | None:
        """The entry that made the live version live (None before the first export)."""
        return self._one("WHERE status IN ({p}, {p}) ORDER BY id DESC LIMIT 1", list(LIVE_STATUSES))

    def entry(self, version: int) -> LogEntry | None:
        """The export that wrote `version`."""
        return self._one(
            "WHERE id = {p} AND operation = {p} AND status = {p}", [version, EXPORT, SUCCEEDED]
        )

    def begin(self, entry: NewEntry) -> int:
        """Insert and commit a log row; an export without a version gets its own id."""
        entry_id = self.execute(
            "INSERT INTO {log} (operation, status, version, replaced_version, warehouse, "
            "model_versions, row_counts, checksums, message, started_at, finished_at) VALUES "
            "({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) RETURNING id",
            [*entry.params(), now(), None if entry.status == RUNNING else now()],
        ).fetchall()[0][0]
        if entry.version is None:
            self.execute("UPDATE {log} SET version = {p} WHERE id = {p}", [entry_id, entry_id])
        return int(entry_id)

    def finish(self, entry_id: int, status: str, message: str | None = None) -> None:
        self.execute(
            "UPDATE {log} SET status = {p}, finished_at = {p}, message = {p} WHERE id = {p}",
            [status, now(), message, entry_id],
        )

    def record_timings(
        self, entry_id: int, copy_seconds: float | None, swap_lock_ms: float | None
    ) -> None:
        self.execute(
            "UPDATE {log} SET copy_seconds = {p}, swap_lock_ms = {p} WHERE id = {p}",
            [copy_seconds, swap_lock_ms, entry_id],
        )

    def checksum(self, spec: TableSpec, table: str) -> Checksum:
        cursor = self.conn.execute(f"{checksum_select(spec, self.dialect)} FROM {self.name(table)}")
        names = [d[0] for d in cursor.description]
        return checksum_from_row(names, cursor.fetchone())

    def drop(self, tables: list[str]) -> list[str]:
        for table in tables:
            self.conn.execute(f"DROP TABLE IF EXISTS {self.name(table)}")
        return tables

    def swap(
        self, entry_id: int, lock_timeout: float, attempts: int, pause: Pause, say: Progress
    ) -> float:
        """staging -> live -> previous -> retired for every table, and the entry marked
        succeeded, in one transaction; returns how long the table locks were held (ms)."""

        def attempt() -> float:
            present = self.tables()
            locked = [
                n for s in self.specs for n in (s.staging, s.name, s.previous) if n in present
            ]
            with self.locked_transaction(locked, lock_timeout) as clock:
                for spec in self.specs:
                    if spec.previous in present:
                        self._rename(spec.previous, spec.retired)
                    if spec.name in present:
                        self._rename(spec.name, spec.previous)
                    self._rename(spec.staging, spec.name)
                self.finish(entry_id, SUCCEEDED)
                pause("swap")
            return clock.held_ms()

        return self._with_retries(attempt, attempts, "swap", say)

    def restore(
        self, entry: NewEntry, lock_timeout: float, attempts: int, pause: Pause, say: Progress
    ) -> tuple[int, float]:
        """live <-> previous for every table and the rollback's log row, in one transaction;
        returns (entry id, lock-held ms)."""

        def attempt() -> tuple[int, float]:
            present = self.tables()
            missing = [n for s in self.specs for n in (s.name, s.previous) if n not in present]
            if missing:
                raise NoPreviousVersion(
                    f"{self.target.masked}: nothing to roll back to, missing {', '.join(missing)}"
                )
            locked = [n for s in self.specs for n in (s.name, s.previous)]
            with self.locked_transaction(locked, lock_timeout) as clock:
                for spec in self.specs:
                    self._rename(spec.name, spec.retired)
                    self._rename(spec.previous, spec.name)
                    self._rename(spec.retired, spec.previous)
                entry_id = self.begin(entry)
                pause("swap")
            return entry_id, clock.held_ms()

        return self._with_retries(attempt, attempts, "rollback", say)

    def _rename(self, old: str, new: str) -> None:
        self.conn.execute(f"ALTER TABLE {self.name(old)} RENAME TO {quoted(new)}")

    def _one(self, where: str, params: list[Any]) -> LogEntry | None:
        row = self.execute(f"SELECT {', '.join(COLUMNS)} FROM {{log}} {where}", params).fetchone()
        return LogEntry.from_row(row) if row else None

    def _with_retries(self, attempt: Callable[[], T], attempts: int, what: str, say: Progress) -> T:
        """Retry a locking transaction with backoff while readers or writers hold the tables."""
        delay = RETRY_FIRST_DELAY
        for number in range(1, attempts + 1):
            try:
                return attempt()
            except self.driver_errors as error:
                if not self.is_busy(error):
                    raise
                if number == attempts:
                    raise ExportError(
                        f"{self.target.masked}: {what} gave up after {attempts} attempts: the "
                        "tables stayed locked (an open reader transaction?); nothing was changed"
                    ) from None
            say(f"{what}: tables busy, retrying in {delay:.2f} s (attempt {number} of {attempts})")
            time.sleep(delay)
            delay *= 2
        raise AssertionError("attempts must be at least 1")


@contextmanager
def open_backend(
    target: Target, specs: tuple[TableSpec, ...], lock_timeout: float
) -> Iterator[Backend]:
    """The target's backend; driver errors leave as ExportError with the URL's secrets masked."""
    backend_class: type[Backend]
    if target.kind == "sqlite":
        from recsys.publish.export.sqlite import SqliteBackend

        backend_class = SqliteBackend
    else:
        from recsys.publish.export.postgres import PostgresBackend

        backend_class = PostgresBackend
    db = backend_class.open(target, specs, lock_timeout)
    try:
        yield db
    except backend_class.driver_errors as error:
        raise ExportError(f"{target.masked}: {target.redact(str(error))}") from None
    finally:
        db.close()
