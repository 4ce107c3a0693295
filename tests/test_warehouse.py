"""The one way to open the warehouse: the Dagster resource and the export both go through it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from recsys.publish.export import ExportRefused
from recsys.publish.export.warehouse import open_warehouse
from recsys.warehouse import connect
from resources import Warehouse


def test_a_writer_creates_the_folder_of_a_new_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "data" / "warehouse.duckdb"

    with connect(path) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")

    assert path.is_file()


def test_a_reader_never_creates_a_missing_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "warehouse.duckdb"

    with pytest.raises(duckdb.Error), connect(path, read_only=True):
        pass

    assert not path.parent.exists()


def test_the_connection_is_closed_when_the_block_ends(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as conn:
        pass

    with pytest.raises(duckdb.ConnectionException):
        conn.execute("SELECT 1")


def test_a_read_only_connection_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")

    with connect(path, read_only=True) as conn, pytest.raises(duckdb.Error):
        conn.execute("INSERT INTO t VALUES (2)")


def test_the_resource_opens_the_same_file_through_the_helper(tmp_path: Path) -> None:
    resource = Warehouse(path=str(tmp_path / "new" / "warehouse.duckdb"))

    with resource.connect() as conn:
        conn.execute("CREATE TABLE t AS SELECT 7 AS x")
    with connect(tmp_path / "new" / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(7,)]


def test_the_export_reads_in_one_transaction_and_refuses_a_missing_warehouse(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")

    with open_warehouse(path) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error):
            conn.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(ExportRefused, match="no warehouse at"), open_warehouse(tmp_path / "x"):
        pass
