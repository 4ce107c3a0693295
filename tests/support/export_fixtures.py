"""Helpers for the export tests: warehouses, a PostgreSQL schema per test, and a view of the
product database that does not go through the exporter (counts, versions, the log, a reader)."""

from __future__ import annotations

import concurrent.futures
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import psycopg
import pytest
from psycopg import sql

from bench.synthetic_export import write_synthetic_tables
from recsys.identifiers import quoted
from recsys.publish.export import (
    ExporterBusy,
    ExportError,
    ExportRefused,
    NoPreviousVersion,
    export_recommendations,
    rollback_recommendations,
)
from recsys.publish.export.backend import Backend
from recsys.publish.export.checksum import Checksum, checksum_from_row, checksum_select
from recsys.publish.export.log import COLUMNS, LIVE_STATUSES, LOG_TABLE, LogEntry
from recsys.publish.export.postgres import PostgresBackend
from recsys.publish.export.sqlite import SqliteBackend
from recsys.publish.export.tables import TABLES, VERSION_COLUMN, TableSpec
from recsys.publish.export.target import parse_target, sqlite_url

# Tests that need PostgreSQL fail (never skip) when it is unreachable.
POSTGRES_VAR = "CREATOR_DISCOVERY_TEST_POSTGRES_URL"
POSTGRES = os.environ.get(POSTGRES_VAR, "postgresql://postgres@127.0.0.1:5432/test")
SMALL_USERS = 400
# A defect in the warehouse, the statements that make it, and the refusal it must produce.
DEFECTS = [
    ("empty", ("DELETE FROM recommendations.user_posts",), "recommendations.user_posts: .*empty"),
    ("missing table", ("DROP TABLE recommendations.similar_posts",), "similar_posts: .*not exist"),
    (
        "missing column",
        ("ALTER TABLE recommendations.user_creators DROP COLUMN source",),
        "recommendations.user_creators: column source is missing",
    ),
    (
        "retyped column",
        ("ALTER TABLE recommendations.user_posts ALTER COLUMN rank TYPE BIGINT",),
        "recommendations.user_posts: column rank is BIGINT, expected INTEGER",
    ),
    (
        "extra column",
        ("ALTER TABLE recommendations.similar_creators ADD COLUMN note VARCHAR",),
        r"recommendations.similar_creators: unexpected column\(s\) note",
    ),
    (
        "null value",
        ("UPDATE recommendations.notification_candidates SET post_id = NULL WHERE rank = 2",),
        r"recommendations.notification_candidates: column post_id has \d+ null",
    ),
    (
        "NaN score",
        ("UPDATE recommendations.similar_posts SET score = 'nan' WHERE rank = 1",),
        r"recommendations.similar_posts: column score has \d+ NaN or infinite",
    ),
]


def build_warehouse(path: Path, users: int = SMALL_USERS, seed: int = 1) -> Path:
    with duckdb.connect(str(path)) as conn:
        write_synthetic_tables(conn, users, seed=seed)
    return path


def alter_warehouse(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as conn:
        for statement in statements:
            conn.execute(statement)


def build_warehouses(folder: Path) -> tuple[Path, Path]:
    """Two warehouses with different tables (seeds 1 and 2)."""
    return build_warehouse(folder / "a.duckdb", seed=1), build_warehouse(
        folder / "b.duckdb", seed=2
    )


def sqlite_url_in(folder: Path) -> str:
    return sqlite_url(folder / "product.db")


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """The URL of a fresh schema of the test database, dropped afterwards."""
    schema = f"export_test_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT 1")
    try:
        yield f"{POSTGRES}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@dataclass(frozen=True)
class ReaderView:
    """What one read transaction saw: rows per export version per table, and the log's counts
    for the version the tables carry."""

    versions: dict[str, dict[int, int]]
    logged_counts: dict[str, int]

    def complete_version(self) -> int | None:
        """The one version every table holds, complete; None for anything else."""
        seen = {v for counts in self.versions.values() for v in counts}
        if len(seen) != 1:
            return None
        (version,) = seen
        actual = {table: counts[version] for table, counts in self.versions.items()}
        return version if actual == self.logged_counts else None


class ProductDb:
    """Read access to a product database, independent of the exporter's code paths."""

    def __init__(self, url: str) -> None:
        self.target = parse_target(url)
        self.dialect = self.target.kind
        if self.dialect == "sqlite":
            assert self.target.path is not None
            self.conn = sqlite3.connect(self.target.path, isolation_level=None, timeout=30)
            self.placeholder = "?"
        else:
            self.conn = psycopg.connect(self.target.conninfo, autocommit=True)
            self.placeholder = "%s"

    def close(self) -> None:
        self.conn.close()

    def name(self, table: str) -> str:
        if self.dialect == "sqlite":
            return quoted(table)
        return f"{quoted(self.target.schema)}.{quoted(table)}"

    def tables(self) -> set[str]:
        if self.dialect == "sqlite":
            rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = self.conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", [self.target.schema]
            )
        return {name for (name,) in rows.fetchall() if not name.startswith("sqlite_")}

    def versions(self, table: str) -> dict[int, int]:
        rows = self.conn.execute(
            f"SELECT {VERSION_COLUMN}, count(*) FROM {self.name(table)} GROUP BY 1"
        ).fetchall()
        return {int(v): int(n) for v, n in rows}

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {self.name(table)}").fetchone()[0])

    def log(self) -> list[LogEntry]:
        if LOG_TABLE not in self.tables():
            return []
        rows = self.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {self.name(LOG_TABLE)} ORDER BY id"
        ).fetchall()
        return [LogEntry.from_row(row) for row in rows]

    def live(self) -> LogEntry | None:
        live = [e for e in self.log() if e.status in LIVE_STATUSES]
        return live[-1] if live else None

    def checksum(self, spec: TableSpec, table: str) -> Checksum:
        cursor = self.conn.execute(f"{checksum_select(spec, self.dialect)} FROM {self.name(table)}")
        return checksum_from_row([d[0] for d in cursor.description], cursor.fetchone())

    def index_columns(self, table: str) -> list[tuple[str, ...]]:
        """The column lists of the table's unique indexes."""
        if self.dialect == "sqlite":
            found = []
            for _, name, unique, *_ in self.conn.execute(
                f"PRAGMA index_list({quoted(table)})"
            ).fetchall():
                if unique:
                    info = self.conn.execute(f"PRAGMA index_info({quoted(name)})").fetchall()
                    found.append(tuple(column for _, _, column in info))
            return found
        rows = self.conn.execute(
            "SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE n.nspname = %s AND c.relname = %s AND i.indisunique GROUP BY i.indexrelid",
            [self.target.schema, table],
        ).fetchall()
        return [tuple(columns) for (columns,) in rows]

    def fingerprint(self) -> tuple | None:
        """Everything an export could change: tables, their rows per version, the log."""
        tables = self.tables()
        if not tables:
            return None
        return (
            tuple(sorted(tables)),
            tuple(
                (t, tuple(sorted(self.versions(t).items()))) for t in sorted(tables - {LOG_TABLE})
            ),
            tuple(self.log()),
        )

    def read_in_one_transaction(self) -> ReaderView:
        """Read every live table and the log in one transaction, the way a product reader that
        needs one consistent version should: on PostgreSQL a REPEATABLE READ transaction that
        first takes ACCESS SHARE locks (its snapshot then starts after any swap it waited for)."""
        names = [spec.name for spec in TABLES]
        with self._read_transaction(names):
            versions = {name: self.versions(name) for name in names}
            seen = {v for counts in versions.values() for v in counts}
            logged: dict[str, int] = {}
            if len(seen) == 1:
                entries = [e for e in self.log() if e.id == next(iter(seen))]
                logged = entries[0].row_counts if entries else {}
        return ReaderView(versions, logged)

    @contextmanager
    def _read_transaction(self, names: list[str]) -> Iterator[None]:
        if self.dialect == "sqlite":
            self.conn.execute("BEGIN")
            try:
                yield
            finally:
                self.conn.execute("COMMIT")
            return
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(self.target.schema, n) for n in names)
                )
            )
            yield


@contextmanager
def product_db(url: str) -> Iterator[ProductDb]:
    db = ProductDb(url)
    try:
        yield db
    finally:
        db.close()


def assert_one_complete_version(url: str) -> LogEntry:
    """The live tables hold exactly the version the log names live: every table, every row of
    that version, row counts and checksums as logged. Returns that log entry."""
    with product_db(url) as db:
        live = db.live()
        assert live is not None, "no version is live"
        exported = next(e for e in db.log() if e.id == live.version)
        assert exported.operation == "export" and exported.status == "succeeded"
        for spec in TABLES:
            assert db.versions(spec.name) == {live.version: exported.row_counts[spec.name]}
            assert db.checksum(spec, spec.name).to_json() == exported.checksums[spec.name]
        return live


def losing_a_user_posts_row(load: Callable[..., int]) -> Callable[..., int]:
    """A backend's load that deletes one copied row of user_posts, as a faulty COPY would."""

    def lossy_load(self: Backend, spec: TableSpec, *args: object) -> int:
        rows = load(self, spec, *args)
        if spec.name == "user_posts":
            self.conn.execute(
                f"DELETE FROM {self.name(spec.staging)} WHERE user_id = 1 AND rank = 1"
            )
        return rows

    return lossy_load


class TableHolder(Protocol):
    """Another session that keeps the swap from taking its locks while acquired."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...


def hold_after_last_table(
    holder: TableHolder, also: Callable[[str], None] | None = None
) -> Callable[[str], None]:
    """A progress callback that acquires `holder` once the last table is verified, i.e. in the
    exporter's own thread right before the swap: the copy itself is never blocked."""
    last = f"{TABLES[-1].name}: keys added"

    def progress(line: str) -> None:
        if line.startswith(last):
            holder.acquire()
        if also is not None:
            also(line)

    return progress


class ExportContract:
    """The behaviour both product databases must show. test_export_sqlite.py and
    test_export_postgres.py run every test here against their target: they supply the fixtures
    `warehouses` (build_warehouses), `url`, and `holder`, a session that blocks the swap (SQLite:
    another writer; PostgreSQL: an open reader transaction)."""

    # How the log shows an export whose swap gave up: SQLite's writer also blocks the exporter's
    # own bookkeeping, so the entry waits for the next run to mark it abandoned.
    status_after_give_up: str

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def holder(self, url: str) -> Iterator[TableHolder]:
        raise NotImplementedError

    def test_export_copies_every_table_with_keys_version_and_checksum(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        lines: list[str] = []
        result = export_recommendations(warehouses[0], url, progress=lines.append)
        assert (result.status, result.version, result.replaced_version) == ("succeeded", 1, None)
        live = assert_one_complete_version(url)
        with duckdb.connect(str(warehouses[0]), read_only=True) as source, product_db(url) as db:
            for spec in TABLES:
                rows = source.execute(f"SELECT count(*) FROM {spec.warehouse_table}").fetchone()
                assert live.row_counts[spec.name] == rows[0] == result.row_counts[spec.name] > 0
                assert spec.primary_key in db.index_columns(spec.name)
                assert db.tables() >= {spec.name, LOG_TABLE}
                assert spec.staging not in db.tables() and spec.previous not in db.tables()
                assert f"{spec.name}: {rows[0]:,} rows copied" in "\n".join(lines)
        assert live.model_versions == {s.name: [1] for s in TABLES if s.has_model_version}
        assert live.copy_seconds and live.copy_seconds > 0 and live.swap_lock_ms is not None
        assert live.started_at is not None and live.finished_at >= live.started_at
        assert all(result.tables[s.name].rows_per_second > 0 for s in TABLES)

    def test_exporting_the_same_tables_again_changes_nothing_and_is_logged_unchanged(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        export_recommendations(warehouses[0], url)
        with product_db(url) as db:
            before = db.fingerprint()
        again = export_recommendations(warehouses[0], url)
        assert (again.status, again.version) == ("unchanged", 1)
        with product_db(url) as db:
            after = db.fingerprint()
            log = db.log()
        assert after is not None and before is not None and after[:2] == before[:2]
        assert [(e.status, e.version) for e in log] == [("succeeded", 1), ("unchanged", 1)]

    def test_a_new_export_keeps_the_version_it_replaced_as_previous(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        first = export_recommendations(warehouses[0], url)
        second = export_recommendations(warehouses[1], url)
        assert (second.status, second.version, second.replaced_version) == ("succeeded", 2, 1)
        live = assert_one_complete_version(url)
        assert (live.version, live.replaced_version) == (2, 1)
        with product_db(url) as db:
            for spec in TABLES:
                assert db.versions(spec.previous) == {1: first.row_counts[spec.name]}
                assert spec.retired not in db.tables()
        third = export_recommendations(warehouses[0], url)
        with product_db(url) as db:
            assert db.versions("user_posts__previous") == {2: second.row_counts["user_posts"]}
        assert (third.version, third.replaced_version) == (3, 2)

    def test_rollback_swaps_live_and_previous_and_a_second_rollback_undoes_it(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        export_recommendations(warehouses[0], url)
        export_recommendations(warehouses[1], url)
        rolled = rollback_recommendations(url)
        assert (rolled.status, rolled.version, rolled.replaced_version) == ("rolled_back", 1, 2)
        live = assert_one_complete_version(url)
        assert (live.operation, live.version, live.replaced_version) == ("rollback", 1, 2)
        with product_db(url) as db:
            assert set(db.versions("similar_posts__previous")) == {2}
        rollback_recommendations(url)
        assert assert_one_complete_version(url).version == 2
        # The rolled-back-to tables are the warehouse's again: exporting them is a no-op.
        assert export_recommendations(warehouses[1], url).status == "unchanged"

    def test_rollback_without_a_previous_version_is_refused(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        with pytest.raises(NoPreviousVersion, match="no previous version"):
            rollback_recommendations(url)
        with product_db(url) as db:
            assert db.fingerprint() is None
        export_recommendations(warehouses[0], url)
        with product_db(url) as db:
            before = db.fingerprint()
        with pytest.raises(NoPreviousVersion):
            rollback_recommendations(url)
        with product_db(url) as db:
            assert db.fingerprint() == before

    @pytest.mark.parametrize(("defect", "statements", "message"), DEFECTS)
    def test_refused_tables_leave_the_product_database_untouched(
        self,
        url: str,
        warehouses: tuple[Path, Path],
        tmp_path: Path,
        defect: str,
        statements: tuple[str, ...],
        message: str,
    ) -> None:
        export_recommendations(warehouses[0], url)
        with product_db(url) as db:
            before = db.fingerprint()
        broken = tmp_path / "broken.duckdb"
        broken.write_bytes(warehouses[1].read_bytes())
        alter_warehouse(broken, *statements)
        with pytest.raises(ExportRefused, match=message):
            export_recommendations(broken, url)
        with product_db(url) as db:
            assert db.fingerprint() == before

    def test_a_refused_first_export_creates_nothing(self, url: str, tmp_path: Path) -> None:
        empty = build_warehouse(tmp_path / "empty.duckdb")
        alter_warehouse(empty, "DELETE FROM recommendations.similar_creators")
        with pytest.raises(ExportRefused, match=r"recommendations\.similar_creators: .*empty"):
            export_recommendations(empty, url)
        with product_db(url) as db:
            assert db.fingerprint() is None

    def test_a_copy_that_loses_rows_fails_verification_and_the_live_version_stays(
        self, url: str, warehouses: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        export_recommendations(warehouses[0], url)
        for backend in (SqliteBackend, PostgresBackend):
            monkeypatch.setattr(backend, "load", losing_a_user_posts_row(backend.load))
        with pytest.raises(ExportError, match=r"user_posts: the copy does not match.*rows: \d+"):
            export_recommendations(warehouses[1], url)
        assert assert_one_complete_version(url).version == 1
        with product_db(url) as db:
            assert [e.status for e in db.log()] == ["succeeded", "failed"]
            assert "user_posts" in (db.log()[-1].message or "")
            assert not {s.staging for s in TABLES} & db.tables()

    def test_a_second_exporter_is_refused_while_one_holds_the_lock(
        self, url: str, warehouses: tuple[Path, Path]
    ) -> None:
        paused, release = threading.Event(), threading.Event()

        def hold(stage: str) -> None:
            if stage.startswith("copy:"):
                paused.set()
                release.wait(30)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(export_recommendations, warehouses[0], url, pause=hold)
            assert paused.wait(30)
            with pytest.raises(ExporterBusy, match="another export or rollback"):
                export_recommendations(warehouses[1], url, lock_wait=0.3)
            with pytest.raises(ExporterBusy):
                rollback_recommendations(url, lock_wait=0.3)
            release.set()
            assert first.result(60).status == "succeeded"
        assert assert_one_complete_version(url).version == 1

    def test_swap_gives_up_when_the_tables_stay_locked_and_nothing_changes(
        self, url: str, warehouses: tuple[Path, Path], holder: TableHolder
    ) -> None:
        export_recommendations(warehouses[0], url)
        with pytest.raises(ExportError, match="swap gave up after 2 attempts"):
            export_recommendations(
                warehouses[1],
                url,
                progress=hold_after_last_table(holder),
                lock_timeout=0.2,
                swap_attempts=2,
            )
        holder.release()
        assert assert_one_complete_version(url).version == 1
        export_recommendations(warehouses[1], url)
        assert assert_one_complete_version(url).version == 3
        with product_db(url) as db:
            statuses = [e.status for e in db.log()]
            assert statuses == ["succeeded", self.status_after_give_up, "succeeded"]
            reason = {"failed": "swap gave up", "abandoned": "cleaned up by the next run"}
            assert reason[self.status_after_give_up] in (db.log()[1].message or "")
            assert not {s.staging for s in TABLES} & db.tables()

    def test_swap_retries_until_the_tables_are_free(
        self, url: str, warehouses: tuple[Path, Path], holder: TableHolder
    ) -> None:
        export_recommendations(warehouses[0], url)
        retrying = threading.Event()

        def watch(line: str) -> None:
            if "busy, retrying" in line:
                retrying.set()

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = pool.submit(
                export_recommendations,
                warehouses[1],
                url,
                progress=hold_after_last_table(holder, also=watch),
                lock_timeout=0.2,
                swap_attempts=8,
            )
            assert retrying.wait(30)
            holder.release()
            assert result.result(60).status == "succeeded"
        assert assert_one_complete_version(url).version == 2
