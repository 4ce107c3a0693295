"""The production target: PostgreSQL, loaded with COPY and swapped by RENAME in one transaction.

Each table is COPYed, in the binary format (binary.py), into a staging table created in the same
transaction, so a COPY cut short leaves nothing behind. The swap takes ACCESS EXCLUSIVE locks on
all tables with a short lock_timeout and retries with backoff: an open reader transaction blocks
it, and a reader that queries during it waits and then sees the new version. Views on these
tables follow a renamed table, so the product should read the tables themselves. The exporter
lock is a session advisory lock: the server drops it when the exporter's connection ends, and
client_connection_check_interval makes it notice a killed exporter even mid-statement.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from recsys.publish.export.backend import Backend, LockClock, Pause
from recsys.publish.export.binary import HEADER, TRAILER
from recsys.publish.export.errors import ExporterBusy, ExportError
from recsys.publish.export.log import LOG_TABLE
from recsys.publish.export.tables import POSTGRES_TYPES, VERSION_COLUMN, TableSpec
from recsys.publish.export.target import Target
from recsys.publish.export.warehouse import copy_blocks

if TYPE_CHECKING:
    import duckdb

APPLICATION_NAME = "creator-discovery-export"
LOCK_POLL_SECONDS = 0.1
SESSION_SETTINGS = {
    "client_connection_check_interval": "1000",
    # Primary keys on tens of millions of rows sort in memory instead of spilling to disk.
    "maintenance_work_mem": "512MB",
}


class PostgresBackend(Backend):
    dialect = "postgresql"
    placeholder = "%s"
    driver_errors = (psycopg.Error,)

    @classmethod
    def open(
        cls, target: Target, specs: tuple[TableSpec, ...], lock_timeout: float
    ) -> PostgresBackend:
        try:
            conn = psycopg.connect(
                target.conninfo, autocommit=True, application_name=APPLICATION_NAME
            )
        except psycopg.Error as error:
            raise ExportError(
                f"cannot connect to {target.masked}: {target.redact(str(error))}"
            ) from None
        # Every statement of the exporter waits at most lock_timeout for a lock: the swap retries
        # with backoff, and nothing else of ours contends with readers.
        settings = {**SESSION_SETTINGS, "lock_timeout": f"{round(lock_timeout * 1000)}ms"}
        for setting, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", [setting, value])
        return cls(target, conn, specs)

    def name(self, table: str) -> str:
        return sql.Identifier(self.target.schema, table).as_string(self.conn)

    def _id(self, table: str) -> sql.Identifier:
        return sql.Identifier(self.target.schema, table)

    def log_ddl(self) -> list[str]:
        schema = sql.Identifier(self.target.schema).as_string(self.conn)
        return [
            f"CREATE SCHEMA IF NOT EXISTS {schema}",
            f"CREATE TABLE IF NOT EXISTS {self.name(LOG_TABLE)} ("
            "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, operation text NOT NULL, "
            "status text NOT NULL, version bigint, replaced_version bigint, warehouse text, "
            "model_versions jsonb, row_counts jsonb, checksums jsonb, "
            "copy_seconds double precision, swap_lock_ms double precision, "
            "started_at timestamptz NOT NULL, finished_at timestamptz, message text)",
        ]

    def tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [self.target.schema]
        ).fetchall()
        return {name for (name,) in rows}

    @contextmanager
    def exclusive(self, wait_seconds: float) -> Iterator[None]:
        key = f"creator-discovery-export:{self.target.schema}"
        deadline = time.monotonic() + wait_seconds
        while not self.conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[
            0
        ]:
            if time.monotonic() >= deadline:
                raise ExporterBusy(
                    f"{self.target.masked}: another export or rollback into schema "
                    f"{self.target.schema} is running (it holds the advisory lock {key!r})"
                )
            time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            if not self.conn.closed:
                self.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    @contextmanager
    def locked_transaction(self, tables: list[str], lock_timeout: float) -> Iterator[LockClock]:
        # lock_timeout is the session's, set when opened.
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(self._id(t) for t in tables)
                )
            )
            yield LockClock(time.perf_counter())

    def is_busy(self, error: BaseException) -> bool:
        # A reader that locks the tables in another order than the swap deadlocks with it; the
        # server cancels one side after deadlock_timeout, and the swap simply tries again.
        return isinstance(error, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected)

    def load(
        self, spec: TableSpec, warehouse: duckdb.DuckDBPyConnection, version: int, pause: Pause
    ) -> int:
        columns = [
            sql.SQL("{} {} NOT NULL").format(
                sql.Identifier(c.name), sql.SQL(POSTGRES_TYPES[c.type])
            )
            for c in spec.columns
        ]
        columns.append(sql.SQL("{} bigint NOT NULL").format(sql.Identifier(VERSION_COLUMN)))
        names = sql.SQL(", ").join(map(sql.Identifier, [*spec.column_names, VERSION_COLUMN]))
        staging = self._id(spec.staging)
        rows = 0
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("CREATE TABLE {} ({})").format(staging, sql.SQL(", ").join(columns))
            )
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(staging, names)
            with cursor.copy(copy_sql) as copy:
                copy.write(HEADER)
                for block, n in copy_blocks(warehouse, spec, version):
                    copy.write(block)
                    if rows == 0:
                        pause(f"copy:{spec.name}")
                    rows += n
                copy.write(TRAILER)
        return rows

    def add_keys(self, spec: TableSpec, version: int) -> None:
        staging = self._id(spec.staging)
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
                    staging,
                    sql.Identifier(spec.key_name(version)),
                    sql.SQL(", ").join(map(sql.Identifier, spec.primary_key)),
                )
            )
            for columns in spec.indexes:
                self.conn.execute(
                    sql.SQL("CREATE INDEX {} ON {} ({})").format(
                        sql.Identifier(spec.index_name(version, columns)),
                        staging,
                        sql.SQL(", ").join(map(sql.Identifier, columns)),
                    )
                )
        self.conn.execute(sql.SQL("ANALYZE {}").format(staging))
