"""Analysts read published Parquet snapshots: complete, switched atomically, never the live file."""

import subprocess
import sys

import duckdb
import pytest

from recsys.publish.snapshots import CURRENT, attach, current, publish


@pytest.fixture
def warehouse(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("CREATE SCHEMA marts")
    conn.execute(
        "CREATE TABLE marts.scores AS SELECT range AS id, range * 2 AS score FROM range(5)"
    )
    yield conn
    conn.close()


def test_a_published_snapshot_is_current_and_holds_the_tables(warehouse, tmp_path) -> None:
    snapshot = publish(warehouse, ["marts.scores"], tmp_path / "analytics")

    assert current(tmp_path / "analytics") == snapshot
    assert snapshot.tables == {"marts.scores": 5}
    reader = duckdb.connect()
    attach(reader, current(tmp_path / "analytics"))
    assert reader.execute("SELECT sum(score) FROM marts.scores").fetchone()[0] == 20


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(warehouse, tmp_path) -> None:
    root = tmp_path / "analytics"
    publish(warehouse, ["marts.scores"], root)
    reader = duckdb.connect()
    attach(reader, current(root))

    warehouse.execute("INSERT INTO marts.scores VALUES (5, 10)")
    publish(warehouse, ["marts.scores"], root)

    assert reader.execute("SELECT count(*) FROM marts.scores").fetchone()[0] == 5
    assert current(root).tables == {"marts.scores": 6}


def test_old_snapshots_are_pruned_but_the_newest_are_kept(warehouse, tmp_path) -> None:
    root = tmp_path / "analytics"
    folders = [publish(warehouse, ["marts.scores"], root, keep=2).folder for _ in range(4)]

    assert [folder.exists() for folder in folders] == [False, False, True, True]
    assert (root / CURRENT).resolve() == folders[-1]


def test_only_schema_table_names_are_published(warehouse, tmp_path) -> None:
    with pytest.raises(ValueError, match="scores; DROP"):
        publish(warehouse, ["marts.scores; DROP TABLE x"], tmp_path / "analytics")


def test_reading_before_any_snapshot_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="analytics/snapshot"):
        current(tmp_path / "analytics")


def test_the_sql_shell_answers_a_query_on_the_current_snapshot(warehouse, tmp_path) -> None:
    publish(warehouse, ["marts.scores"], tmp_path / "analytics")

    shell = subprocess.run(
        [
            sys.executable,
            "-m",
            "recsys.publish.sql_shell",
            "--snapshots",
            str(tmp_path / "analytics"),
            "-c",
            "SELECT max(score) AS top FROM marts.scores",
        ],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "top" in shell.stdout and "8" in shell.stdout


def test_the_sql_shell_reads_statements_until_end_of_input(warehouse, tmp_path) -> None:
    publish(warehouse, ["marts.scores"], tmp_path / "analytics")

    shell = subprocess.run(
        [
            sys.executable,
            "-m",
            "recsys.publish.sql_shell",
            "--snapshots",
            str(tmp_path / "analytics"),
        ],
        input="SELECT count(*) AS n\nFROM marts.scores;\nSELECT nope;\n",
        capture_output=True,
        text=True,
        check=True,
    )

    assert "│     5 │" in shell.stdout
    assert 'Referenced column "nope"' in shell.stderr
