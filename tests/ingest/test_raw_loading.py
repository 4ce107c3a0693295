"""Loading landing files into raw: days replaced atomically, errors naming files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from support.landing_files import deliver_day, event_rows, write_table

from recsys.ingest.landing import USERS, day_folder
from recsys.ingest.raw_loading import (
    LandingFileError,
    load_dimension_table,
    load_event_days,
)
from recsys.warehouse import table_schema

DAY_1 = dt.date(2026, 9, 1)
DAY_2 = dt.date(2026, 9, 2)


@pytest.fixture
def conn(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def rows_per_day(conn: duckdb.DuckDBPyConnection) -> dict[dt.date, int]:
    return dict(
        conn.execute("SELECT event_date, count(*) FROM raw.events GROUP BY 1 ORDER BY 1").fetchall()
    )


def test_loading_a_day_twice_leaves_one_copy(tmp_path: Path, conn) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=5))

    load_event_days(conn, tmp_path, [DAY_1])
    result = load_event_days(conn, tmp_path, [DAY_1])

    assert rows_per_day(conn) == {DAY_1: 5}
    assert result.rows_loaded == 5
    assert result.rows_in_table == 5


def test_a_redelivered_day_replaces_only_that_day(tmp_path: Path, conn) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=5))
    deliver_day(tmp_path, DAY_2, event_rows(DAY_2, first_id=100, count=4))
    load_event_days(conn, tmp_path, [DAY_1, DAY_2])

    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=2))
    load_event_days(conn, tmp_path, [DAY_1])

    assert rows_per_day(conn) == {DAY_1: 2, DAY_2: 4}


def test_loaded_events_carry_the_contract_types_and_their_day(tmp_path: Path, conn) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=1))
    load_event_days(conn, tmp_path, [DAY_1])

    types = dict(table_schema(conn, "raw.events"))

    assert types == {
        "event_id": "BIGINT",
        "user_id": "BIGINT",
        "post_id": "BIGINT",
        "event_type": "VARCHAR",
        "event_at": "TIMESTAMP",
        "dwell_seconds": "DOUBLE",
        "event_date": "DATE",
    }


def test_a_missing_day_fails_naming_its_folder(tmp_path: Path, conn) -> None:
    with pytest.raises(LandingFileError, match=str(day_folder(tmp_path, DAY_2))):
        load_event_days(conn, tmp_path, [DAY_2])


def test_a_failing_day_leaves_every_day_of_the_load_as_it_was(tmp_path: Path, conn) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=3))
    load_event_days(conn, tmp_path, [DAY_1])
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, first_id=1, count=7))
    broken = day_folder(tmp_path, DAY_2) / "part-0.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not a parquet file")
    (broken.parent / "_SUCCESS").touch()

    with pytest.raises(LandingFileError, match=str(broken)):
        load_event_days(conn, tmp_path, [DAY_1, DAY_2])

    assert rows_per_day(conn) == {DAY_1: 3}


def test_a_missing_column_fails_naming_the_file_and_column(tmp_path: Path, conn) -> None:
    rows = event_rows(DAY_1, first_id=1, count=2)
    for row in rows:
        del row["dwell_seconds"]
    folder = deliver_day(tmp_path, DAY_1, rows)

    with pytest.raises(LandingFileError) as error:
        load_event_days(conn, tmp_path, [DAY_1])

    assert str(folder / "part-0.parquet") in str(error.value)
    assert "dwell_seconds" in str(error.value)


def test_csv_files_load_like_parquet(tmp_path: Path, conn) -> None:
    folder = USERS.folder(tmp_path)
    folder.mkdir(parents=True)
    (folder / "users.csv").write_text(
        "user_id,signup_at,country\n1,2026-08-01 10:00:00,DE\n2,2026-08-02 11:30:00,US\n"
    )

    result = load_dimension_table(conn, USERS, tmp_path)

    assert result.rows_in_table == 2
    assert conn.execute("SELECT user_id, country FROM raw.users ORDER BY 1").fetchall() == [
        (1, "DE"),
        (2, "US"),
    ]


def test_a_value_of_the_wrong_type_fails_naming_the_file_and_column(tmp_path: Path, conn) -> None:
    folder = USERS.folder(tmp_path)
    folder.mkdir(parents=True)
    path = folder / "users.csv"
    path.write_text("user_id,signup_at,country\nabc,2026-08-01 10:00:00,DE\n")

    with pytest.raises(LandingFileError) as error:
        load_dimension_table(conn, USERS, tmp_path)

    assert str(path) in str(error.value)
    assert "user_id as BIGINT" in str(error.value)


def test_a_failed_reload_keeps_the_previous_table(tmp_path: Path, conn) -> None:
    rows = [{"user_id": 1, "signup_at": dt.datetime(2026, 8, 1), "country": "DE"}]
    write_table(USERS.folder(tmp_path), rows)
    load_dimension_table(conn, USERS, tmp_path)
    write_table(USERS.folder(tmp_path), [{"user_id": 2, "country": "FR"}])

    with pytest.raises(LandingFileError, match="signup_at"):
        load_dimension_table(conn, USERS, tmp_path)

    assert conn.execute("SELECT user_id FROM raw.users").fetchall() == [(1,)]


def test_an_empty_table_folder_fails_naming_the_folder(tmp_path: Path, conn) -> None:
    USERS.folder(tmp_path).mkdir(parents=True)

    with pytest.raises(LandingFileError, match=str(USERS.folder(tmp_path))):
        load_dimension_table(conn, USERS, tmp_path)


def test_numbers_stored_as_text_in_parquet_fail_naming_the_file_and_column(
    tmp_path: Path, conn
) -> None:
    rows = event_rows(DAY_1, first_id=1, count=2)
    for row in rows:
        row["user_id"] = str(row["user_id"])
    folder = deliver_day(tmp_path, DAY_1, rows)

    with pytest.raises(LandingFileError) as error:
        load_event_days(conn, tmp_path, [DAY_1])

    assert str(folder / "part-0.parquet") in str(error.value)
    assert "user_id as BIGINT" in str(error.value)
