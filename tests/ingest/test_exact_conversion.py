"""What the loader accepts, converted exactly: offsets and zoned types to UTC on every host, the
accepted file forms and spellings, and file names that look like glob patterns read once."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from support import REPO

from recsys.ingest.landing import POSTS, USERS
from recsys.ingest.raw_loading import load_dimension_table

DUMP = """
import json, sys, duckdb
from pathlib import Path
from recsys.ingest.landing import USERS
from recsys.ingest.raw_loading import load_dimension_table
conn = duckdb.connect(sys.argv[2])
load_dimension_table(conn, USERS, Path(sys.argv[1]))
rows = conn.execute("SELECT * FROM raw.users ORDER BY 1").fetchall()
print(json.dumps([list(map(str, row)) for row in rows]))
"""


def zoned_users(landing: Path) -> None:
    folder = USERS.folder(landing)
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(
        "user_id,signup_at,country\n"
        "1,2026-09-09T00:06:59+05:00,DE\n2,2026-09-09 00:06:59Z,US\n3,2026-09-09T00:06:59,FR\n"
    )
    zoned = pa.array(
        [dt.datetime(2026, 9, 9, 0, 6, 59, tzinfo=dt.UTC)], pa.timestamp("us", "Asia/Tokyo")
    )
    pq.write_table(
        pa.table({"user_id": [4], "signup_at": zoned, "country": ["JP"]}), folder / "b.parquet"
    )


def test_the_loader_gives_identical_utc_tables_under_any_host_time_zone(tmp_path: Path) -> None:
    zoned_users(tmp_path / "landing")
    tables = {}
    for tz in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        warehouse = tmp_path / f"{tz.replace('/', '_')}.db"
        result = subprocess.run(
            [sys.executable, "-c", DUMP, str(tmp_path / "landing"), str(warehouse)],
            cwd=REPO, env={**os.environ, "TZ": tz, "PYTHONPATH": str(REPO)},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        tables[tz] = json.loads(result.stdout)

    assert tables["UTC"] == tables["Asia/Tokyo"] == tables["America/Los_Angeles"]
    assert [row[1] for row in tables["UTC"]] == [
        "2026-09-08 19:06:59", "2026-09-09 00:06:59", "2026-09-09 00:06:59", "2026-09-09 00:06:59",
    ]  # fmt: skip


def test_accepted_forms_load_exactly(tmp_path: Path) -> None:
    folder = USERS.folder(tmp_path)
    folder.mkdir(parents=True)
    signup = pa.array([dt.datetime(2026, 8, 1)] * 2, pa.timestamp("us"))
    pq.write_table(  # integral DOUBLE ids (pandas writes nullable ints so) and an upper-case name
        pa.table({"user_id": [1.0, 2.0], "signup_at": signup, "country": ["DE", "US"]}),
        folder / "A.PARQUET",
    )
    pq.write_table(  # integral DECIMAL ids, INT96 timestamps, dictionary-encoded strings
        pa.table({
            "user_id": pa.array([Decimal("3"), Decimal("4")], pa.decimal128(12, 0)),
            "signup_at": pa.array([dt.datetime(2026, 8, 2)] * 2, pa.timestamp("ns")),
            "country": pa.array(["FR", "FR"]).dictionary_encode(),
        }),
        folder / "b.parquet", use_deprecated_int96_timestamps=True,
    )  # fmt: skip
    with gzip.open(folder / "c.csv.gz", "wt", encoding="utf-8-sig") as csv:  # BOM, gzip
        csv.write('user_id,signup_at,country,note\n5,2026-08-03 10:00:00.5,"IT","two\nlines"\n')
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden: ignored
    (folder / "users-*.parquet").write_bytes((folder / "A.PARQUET").read_bytes())

    load_dimension_table(conn := duckdb.connect(), USERS, tmp_path)

    rows = conn.execute("SELECT user_id, signup_at, country FROM raw.users ORDER BY ALL").fetchall()
    assert [r[0] for r in rows] == [1, 1, 2, 2, 3, 4, 5]  # the glob-like name read once, literally
    assert rows[-1][1] == dt.datetime(2026, 8, 3, 10, 0, 0, 500000)
    assert rows[4] == (3, dt.datetime(2026, 8, 2), "FR")


def test_boolean_spellings(tmp_path: Path) -> None:
    folder = POSTS.folder(tmp_path)
    folder.mkdir(parents=True)
    spellings = ["true", "FALSE", "t", "F", "1", "0"]
    (folder / "posts.csv").write_text(
        "post_id,creator_id,title,body,published_at,is_paid\n"
        + "".join(f"{i},1,t,b,2026-08-01 10:00:00,{v}\n" for i, v in enumerate(spellings))
    )
    load_dimension_table(conn := duckdb.connect(), POSTS, tmp_path)

    paid = [r[0] for r in conn.execute("SELECT is_paid FROM raw.posts ORDER BY post_id").fetchall()]
    assert paid == [True, False, True, False, True, False]
