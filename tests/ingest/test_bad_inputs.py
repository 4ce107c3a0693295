"""Every class of bad landing input is refused with a message naming the file or folder, the column
and an example, and the warehouse keeps its previous data (README: "Bad inputs").

Each case writes a real file the way a source system would, loads it with the real loader on a real
DuckDB file that already holds a good delivery, and checks the refusal and the unchanged table.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.landing_files import deliver_day, event_rows

from recsys.ingest.landing import DAY_COMPLETE_MARKER, POSTS, USERS, day_folder
from recsys.ingest.raw_loading import LandingFileError, load_dimension_table, load_event_days

DAY = dt.date(2026, 9, 1)
USERS_HEADER = "user_id,signup_at,country\n"


@dataclass(frozen=True)
class Case:
    """A bad delivery: which table it replaces, how to write it, what the refusal must say."""

    table: str  # "users", "posts" or "events"
    write: Callable[[Path], None]
    message: str


def users_csv(body: str, name: str = "users.csv", header: str = USERS_HEADER) -> Callable:
    def write(folder: Path) -> None:
        (folder / name).write_text(header + body, encoding="utf-8")

    return write


def users_parquet(columns: dict[str, pa.Array], name: str = "users.parquet") -> Callable:
    base = {
        "user_id": pa.array([1], pa.int64()),
        "signup_at": pa.array([dt.datetime(2026, 8, 1)], pa.timestamp("us")),
        "country": pa.array(["DE"]),
    }
    table = pa.table({**base, **columns})

    def write(folder: Path) -> None:
        pq.write_table(table, folder / name)

    return write


def posts_csv(is_paid: str) -> Callable:
    def write(folder: Path) -> None:
        (folder / "posts.csv").write_text(
            "post_id,creator_id,title,body,published_at,is_paid\n"
            f"1,1,t,b,2026-08-01 10:00:00,{is_paid}\n"
        )

    return write


def posts_parquet(is_paid: pa.Array) -> Callable:
    def write(folder: Path) -> None:
        pq.write_table(
            pa.table(
                {
                    "post_id": [1],
                    "creator_id": [1],
                    "title": ["t"],
                    "body": ["b"],
                    "published_at": pa.array([dt.datetime(2026, 8, 1)], pa.timestamp("us")),
                    "is_paid": is_paid,
                }
            ),
            folder / "posts.parquet",
        )

    return write


def events_parquet(dwell: list[float]) -> Callable:
    def write(folder: Path) -> None:
        rows = event_rows(DAY, first_id=100, count=len(dwell))
        for row, value in zip(rows, dwell, strict=True):
            row["dwell_seconds"] = value
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
        (folder / DAY_COMPLETE_MARKER).touch()

    return write


def events_csv(dwell: str) -> Callable:
    def write(folder: Path) -> None:
        (folder / "part-0.csv").write_text(
            "event_id,user_id,post_id,event_type,event_at,dwell_seconds\n"
            f'100,1,10,read,2026-09-01 08:00:00,"{dwell}"\n'
        )
        (folder / DAY_COMPLETE_MARKER).touch()

    return write


def write_bytes(name: str, data: bytes) -> Callable:
    def write(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return write


def truncated_parquet(folder: Path) -> None:
    users_parquet({})(folder)
    path = folder / "users.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def beside_good_file(extra: Callable) -> Callable:
    def write(folder: Path) -> None:
        users_parquet({})(folder)
        extra(folder)

    return write


def sub_folder(folder: Path) -> None:
    users_parquet({})(folder)
    (folder / "2026-09").mkdir()


def day_without_marker(folder: Path) -> None:
    pq.write_table(pa.Table.from_pylist(event_rows(DAY, 100, 3)), folder / "part-0.parquet")


def duplicate_parquet_fields(folder: Path) -> None:
    table = pa.Table.from_arrays(
        [pa.array([1]), pa.array([2]), pa.array([dt.datetime(2026, 8, 1)]), pa.array(["DE"])],
        names=["user_id", "user_id", "signup_at", "country"],
    )
    pq.write_table(table, folder / "users.parquet")


CASES: dict[str, Case] = {
    # Ids: exact integers only.
    "fractional_id_in_csv": Case(
        "users", users_csv("15.5,2026-08-01 10:00:00,DE\n"), "user_id='15.5'"
    ),
    "fractional_id_as_parquet_double": Case(
        "users", users_parquet({"user_id": pa.array([15.5])}), "user_id as BIGINT"
    ),
    "non_finite_id_as_parquet_double": Case(
        "users", users_parquet({"user_id": pa.array([float("nan")])}), "user_id as BIGINT"
    ),
    "fractional_id_as_parquet_decimal": Case(
        "users",
        users_parquet({"user_id": pa.array([Decimal("15.25")], pa.decimal128(10, 2))}),
        "user_id as BIGINT",
    ),
    "hexadecimal_id": Case("users", users_csv("0x2711,2026-08-01 10:00:00,DE\n"), "'0x2711'"),
    "underscored_id": Case("users", users_csv("20_001,2026-08-01 10:00:00,DE\n"), "'20_001'"),
    "thousands_separator_in_id": Case(
        "users", users_csv('"1,234",2026-08-01 10:00:00,DE\n'), "'1,234'"
    ),
    "id_padded_with_spaces": Case("users", users_csv(" 15 ,2026-08-01 10:00:00,DE\n"), "' 15 '"),
    "id_out_of_bigint_range": Case(
        "users", users_csv("99999999999999999999,2026-08-01 10:00:00,DE\n"), "user_id as BIGINT"
    ),
    "unsigned_id_out_of_range": Case(
        "users", users_parquet({"user_id": pa.array([2**64 - 1], pa.uint64())}), "user_id as BIGINT"
    ),
    "null_spelled_as_text_in_id": Case("users", users_csv("N/A,2026-08-01 10:00:00,DE\n"), "'N/A'"),
    # Booleans: true/false/t/f/1/0 only.
    "boolean_spelled_yes": Case("posts", posts_csv("yes"), "is_paid='yes'"),
    "boolean_as_integer_2": Case(
        "posts", posts_parquet(pa.array([2], pa.int64())), "is_paid as BOOLEAN"
    ),
    # Timestamps: a full UTC instant, or one with an offset.
    "date_without_time_in_csv": Case("users", users_csv("1,2026-08-01,DE\n"), "'2026-08-01'"),
    "excel_serial_date": Case("users", users_csv("1,45900.5,DE\n"), "'45900.5'"),
    "day_first_date": Case("users", users_csv("1,01/08/2026 10:00,DE\n"), "'01/08/2026 10:00'"),
    "impossible_calendar_date": Case(
        "users", users_csv("1,2026-02-30 10:00:00,DE\n"), "'2026-02-30 10:00:00'"
    ),
    "time_zone_name_instead_of_offset": Case(
        "users", users_csv("1,2026-08-01 10:00:00 CEST,DE\n"), "signup_at as TIMESTAMP"
    ),
    "null_spelled_as_text_in_timestamp": Case(
        "users", users_csv("1,NULL,DE\n"), "signup_at='NULL'"
    ),
    "epoch_number_as_timestamp": Case(
        "users",
        users_parquet({"signup_at": pa.array([1_785_000_000], pa.int64())}),
        "stores signup_at as BIGINT",
    ),
    "date_type_as_timestamp": Case(
        "users",
        users_parquet({"signup_at": pa.array([dt.date(2026, 8, 1)])}),
        "stores signup_at as DATE",
    ),
    "sub_microsecond_timestamp": Case(
        "users",
        users_parquet({"signup_at": pa.array([1_785_000_000_000_000_001], pa.timestamp("ns"))}),
        "signup_at as TIMESTAMP",
    ),
    "timestamp_far_in_the_future": Case(
        "users", users_csv("1,2999-01-01 00:00:00,DE\n"), "lie outside"
    ),
    "timestamp_absurdly_old": Case("users", users_csv("1,1900-01-01 00:00:00,DE\n"), "lie outside"),
    # Floats: finite numbers only.
    "nan_in_float_column": Case(
        "events", events_parquet([30.0, float("nan")]), "dwell_seconds as DOUBLE"
    ),
    "infinity_in_float_column": Case(
        "events", events_parquet([float("inf")]), "dwell_seconds as DOUBLE"
    ),
    "infinity_spelled_in_csv": Case("events", events_csv("-inf"), "dwell_seconds='-inf'"),
    "decimal_comma": Case("events", events_csv("12,5"), "dwell_seconds='12,5'"),
    "thousands_separator_in_float": Case("events", events_csv("1,234.5"), "'1,234.5'"),
    # Text columns: text only.
    "binary_instead_of_text": Case(
        "users",
        users_parquet({"country": pa.array([b"DE"], pa.binary())}),
        "stores country as BLOB",
    ),
    "nested_column": Case(
        "users", users_parquet({"country": pa.array([{"code": "DE"}])}), "stores country as STRUCT"
    ),
    "invalid_utf8_in_csv": Case(
        "users",
        write_bytes("users.csv", USERS_HEADER.encode() + b"1,2026-08-01 10:00:00,D\xff\n"),
        "Cannot read landing file",
    ),
    # Columns: present once, under their exact names.
    "all_null_contracted_column": Case(
        "users",
        users_parquet({"country": pa.array([None], pa.string())}),
        "hold no value at all in column(s) country",
    ),
    "duplicate_parquet_fields": Case("users", duplicate_parquet_fields, "ambiguous columns"),
    "duplicate_csv_header": Case(
        "users",
        users_csv("1,2026-08-01 10:00:00,DE,2\n", header="user_id,signup_at,country,user_id\n"),
        "ambiguous columns",
    ),
    "case_variant_columns": Case(
        "users",
        users_csv("1,2026-08-01 10:00:00,DE,2\n", header="user_id,signup_at,country,User_ID\n"),
        "ambiguous columns",
    ),
    "column_name_in_another_case": Case(
        "users",
        users_csv("1,2026-08-01 10:00:00,DE\n", header="User_ID,signup_at,country\n"),
        "'User_ID' is not 'user_id'",
    ),
    "column_name_with_trailing_space": Case(
        "users",
        users_csv("1,2026-08-01 10:00:00,DE\n", header="user_id ,signup_at,country\n"),
        "'user_id ' is not 'user_id'",
    ),
    "semicolon_separated_csv": Case(
        "users",
        users_csv("1;2026-08-01 10:00:00;DE\n", header="user_id;signup_at;country\n"),
        "separated by ','",
    ),
    # Deliveries: complete and readable, every file read.
    "header_only_csv": Case("users", users_csv(""), "holds no rows"),
    "zero_row_parquet": Case(
        "users",
        users_parquet(
            {
                "user_id": pa.array([], pa.int64()),
                "signup_at": pa.array([], pa.timestamp("us")),
                "country": pa.array([], pa.string()),
            }
        ),
        "holds no rows",
    ),
    "zero_byte_file": Case("users", write_bytes("users.parquet", b""), "is empty (0 bytes)"),
    "truncated_parquet": Case("users", truncated_parquet, "Cannot read landing file"),
    "truncated_csv_row": Case(
        "users", users_csv("1,2026-08-01 10:00:00,DE\n2,2026-08-0"), "Cannot read landing file"
    ),
    "unreadable_extension": Case(
        "users", beside_good_file(write_bytes("users-2.xlsx", b"PK")), "'users-2.xlsx'"
    ),
    "in_flight_temporary_file": Case(
        "users",
        beside_good_file(write_bytes("users-2.parquet.tmp", b"PAR1")),
        "'users-2.parquet.tmp'",
    ),
    "sub_folder_in_table_folder": Case("users", sub_folder, "'2026-09'"),
    "day_without_success_marker": Case("events", day_without_marker, "no _SUCCESS marker"),
}


@pytest.fixture
def conn(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def load(conn: duckdb.DuckDBPyConnection, landing: Path, table: str) -> None:
    if table == "events":
        load_event_days(conn, landing, [DAY])
    else:
        load_dimension_table(conn, USERS if table == "users" else POSTS, landing)


def deliver_good(landing: Path, table: str) -> None:
    if table == "events":
        deliver_day(landing, DAY, event_rows(DAY, first_id=1, count=4))
        return
    folder = landing / table
    folder.mkdir(parents=True)
    if table == "users":
        users_parquet({"user_id": pa.array([7], pa.int64())})(folder)
    else:
        posts_parquet(pa.array([True]))(folder)


def folder_of(landing: Path, table: str) -> Path:
    return day_folder(landing, DAY) if table == "events" else landing / table


def contents(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM raw.{table} ORDER BY ALL").fetchall()


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_and_the_warehouse_keeps_its_data(
    name: str, tmp_path: Path, conn
) -> None:
    case = CASES[name]
    landing = tmp_path / "landing"
    deliver_good(landing, case.table)
    load(conn, landing, case.table)
    before = contents(conn, case.table)
    folder = folder_of(landing, case.table)
    shutil.rmtree(folder)
    folder.mkdir(parents=True)

    case.write(folder)
    with pytest.raises(LandingFileError) as refusal:
        load(conn, landing, case.table)

    assert case.message in str(refusal.value)
    assert str(folder) in str(refusal.value)
    assert contents(conn, case.table) == before


def test_there_are_at_least_thirty_classes_and_the_readme_lists_each() -> None:
    from support import REPO

    readme = (REPO / "README.md").read_text()
    assert len(CASES) >= 30
    missing = [name for name in CASES if f"| `{name}` |" not in readme]
    assert not missing
