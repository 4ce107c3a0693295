"""Export to the embedded SQLite product database: the shared contract (export_fixtures), plus
what is SQLite's own: views keep naming the live tables, the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO
from support.export_fixtures import (
    ExportContract,
    TableHolder,
    alter_warehouse,
    assert_one_complete_version,
    build_warehouses,
    product_db,
    sqlite_url_in,
)

from recsys.publish.export import export_recommendations, parse_target
from recsys.settings import PRODUCT_DB_URL_VAR


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_warehouses(tmp_path_factory.mktemp("warehouses"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return sqlite_url_in(tmp_path)


class SqliteWriter:
    """Another writer: holds SQLite's write lock (BEGIN IMMEDIATE) while acquired."""

    def __init__(self, url: str) -> None:
        self.conn = sqlite3.connect(
            parse_target(url).path, isolation_level=None, check_same_thread=False
        )

    def acquire(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


class TestSqliteExport(ExportContract):
    status_after_give_up = "abandoned"

    @pytest.fixture
    def url(self, sqlite_url: str) -> str:
        return sqlite_url

    @pytest.fixture
    def holder(self, url: str) -> Iterator[TableHolder]:
        writer = SqliteWriter(url)
        yield writer
        writer.release()
        writer.conn.close()


def test_product_views_keep_reading_the_live_tables_after_a_swap(
    sqlite_url: str, warehouses: tuple[Path, Path]
) -> None:
    export_recommendations(warehouses[0], sqlite_url)
    with product_db(sqlite_url) as db:
        db.conn.execute(
            "CREATE VIEW feed AS SELECT user_id, post_id, export_version FROM user_posts"
        )
    export_recommendations(warehouses[1], sqlite_url)
    with product_db(sqlite_url) as db:
        versions = db.conn.execute("SELECT DISTINCT export_version FROM feed").fetchall()
    assert versions == [(2,)]


def test_the_product_database_is_in_wal_mode_so_readers_never_wait(
    sqlite_url: str, warehouses: tuple[Path, Path]
) -> None:
    export_recommendations(warehouses[0], sqlite_url)
    with product_db(sqlite_url) as db:
        assert db.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recsys.publish.export", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_line_exports_reports_status_and_rolls_back(
    sqlite_url: str, warehouses: tuple[Path, Path]
) -> None:
    env = {PRODUCT_DB_URL_VAR: sqlite_url}
    first = run_cli("export", "--warehouse", str(warehouses[0]), env=env)
    assert first.returncode == 0, first.stderr
    assert "user_posts: 8,000 rows copied in" in first.stdout and "rows/s" in first.stdout
    assert "succeeded: version 1 live" in first.stdout
    assert run_cli("export", "--warehouse", str(warehouses[1]), env=env).returncode == 0
    status = run_cli("status", env=env)
    assert "live version: 2, previous: 1" in status.stdout
    rolled = run_cli("rollback", env=env)
    assert rolled.returncode == 0 and "rolled_back: version 1 live" in rolled.stdout
    assert "live version: 1, previous: 2" in run_cli("status", env=env).stdout
    assert assert_one_complete_version(sqlite_url).version == 1


def test_command_line_exports_beside_the_given_warehouse_when_no_url_is_set(
    warehouses: tuple[Path, Path], tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(warehouses[0].read_bytes())

    done = run_cli("export", "--warehouse", str(warehouse), env={PRODUCT_DB_URL_VAR: ""})

    assert done.returncode == 0, done.stderr
    assert f"live at sqlite:///{tmp_path}/product.db" in done.stdout
    assert assert_one_complete_version(sqlite_url_in(tmp_path)).version == 1


def test_command_line_refusal_exits_2_and_names_the_table_and_column(
    sqlite_url: str, warehouses: tuple[Path, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(warehouses[0].read_bytes())
    alter_warehouse(broken, "ALTER TABLE recommendations.user_posts DROP COLUMN creator_id")
    refused = run_cli("export", "--warehouse", str(broken), "--url", sqlite_url)
    assert refused.returncode == 2
    assert "export refused: recommendations.user_posts: column creator_id is missing" in (
        refused.stderr
    )
    assert not parse_target(sqlite_url).path.exists()
