"""Faults on demand and drift: each defect lands on its day or its table only, and clean output is
unchanged."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from support import REPO

from recsys.datagen import DEFAULT_START, SCALES, USER_TOPICS_FILE, generate_platform
from recsys.datagen.dimension_faults import (
    DIMENSION_FAULTS,
    UNKNOWN_TIER,
    DimensionFaultReport,
    apply_dimension_fault,
)
from recsys.datagen.drift import DWELL_FACTOR
from recsys.datagen.faults import (
    BOT_EVENTS,
    FAULTS,
    FRACTIONAL_ID_COLUMN,
    STRAY_SUFFIX,
    UNKNOWN_EVENT_TYPE,
    FaultReport,
    apply_fault,
)
from recsys.ingest.landing import (
    CREATORS,
    DAY_COMPLETE_MARKER,
    DIMENSION_TABLES,
    EVENTS,
    POSTS,
    SUBSCRIPTIONS,
    USERS,
    complete_event_days,
    data_files,
    day_folder,
    invalid_event_entries,
)
from recsys.ingest.raw_loading import LandingFileError, load_dimension_table, load_event_days

SEED = 7
FAULT_DAY = DEFAULT_START + dt.timedelta(days=5)
DRIFT_FROM = DEFAULT_START + dt.timedelta(days=7)
N_DAYS = SCALES["tiny"].n_days
DAYS = [DEFAULT_START + dt.timedelta(days=i) for i in range(N_DAYS)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    generate_platform(root / "landing", root / "truth", "tiny", SEED)
    return root


def copy_of(clean: Path, tmp_path: Path) -> Path:
    shutil.copytree(clean, tmp_path / "copy")
    return tmp_path / "copy" / "landing"


def day_bytes(landing: Path) -> dict[tuple[str, str], bytes]:
    """Every landing file by (folder, name), events per day folder."""
    return {
        (path.parent.name, path.name): path.read_bytes()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def read_day(landing: Path, day: dt.date) -> pa.Table:
    return pa.concat_tables(pq.read_table(path) for path in data_files(day_folder(landing, day)))


# Faults on the delivery itself: the day no longer counts as complete.
INCOMPLETE_DAY_FAULTS = {"day_without_marker": (), "bad_day_folder": (f"date={FAULT_DAY:%Y%m%d}",)}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_changes_only_its_day_and_keeps_it_complete(
    clean: Path, tmp_path: Path, fault: str
) -> None:
    landing = copy_of(clean, tmp_path)
    before = day_bytes(clean / "landing")
    report = apply_fault(landing, fault, FAULT_DAY, SEED)
    assert isinstance(report, FaultReport) and report.fault == fault and report.day == FAULT_DAY
    after = day_bytes(landing)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    extra_folders = set(INCOMPLETE_DAY_FAULTS.get(fault, ()))
    assert changed
    assert {folder for folder, _ in changed} == {f"date={FAULT_DAY.isoformat()}", *extra_folders}
    if fault in INCOMPLETE_DAY_FAULTS:
        assert complete_event_days(landing) == [day for day in DAYS if day != FAULT_DAY]
    else:
        assert complete_event_days(landing) == DAYS
        assert (day_folder(landing, FAULT_DAY) / DAY_COMPLETE_MARKER).exists()
    assert not [p for p in landing.rglob("*") if p.name.endswith(".tmp")]
    # Deterministic per seed.
    again = copy_of(clean, tmp_path / "again")
    assert apply_fault(again, fault, FAULT_DAY, SEED).event_ids == report.event_ids
    assert day_bytes(again) == after


def test_faults_produce_exactly_the_described_defects(clean: Path, tmp_path: Path) -> None:
    original = read_day(clean / "landing", FAULT_DAY)
    n = original.num_rows
    n_users = pq.read_table(USERS.folder(clean / "landing") / "users.parquet").num_rows
    n_posts = pq.read_table(POSTS.folder(clean / "landing") / "posts.parquet").num_rows

    def faulty(fault: str) -> tuple[pa.Table | None, FaultReport, Path]:
        landing = copy_of(clean, tmp_path / fault)
        report = apply_fault(landing, fault, FAULT_DAY, SEED)
        try:
            return read_day(landing, FAULT_DAY), report, landing
        except pa.ArrowException:
            return None, report, landing

    table, report, _ = faulty("duplicate_events")
    ids = table.column("event_id").to_numpy()
    assert len(ids) == n + len(report.event_ids) and 0 < len(report.event_ids) < n
    values, counts = np.unique(ids, return_counts=True)
    assert set(values[counts > 1]) == set(report.event_ids) and counts.max() == 2

    table, report, _ = faulty("null_keys")
    nulls = pc.is_null(table.column("user_id")).to_numpy(zero_copy_only=False)
    assert set(table.column("event_id").to_numpy()[nulls]) == set(report.event_ids)
    assert table.num_rows == n and 0 < nulls.sum() < n

    table, report, _ = faulty("orphan_events")
    users, posts = table.column("user_id").to_numpy(), table.column("post_id").to_numpy()
    orphan = (users > n_users) | (posts > n_posts)
    assert set(table.column("event_id").to_numpy()[orphan]) == set(report.event_ids)
    assert (users > n_users).any() and (posts > n_posts).any()

    table, report, _ = faulty("future_timestamps")
    future = pc.greater(table.column("event_at"), pa.scalar(dt.datetime.now())).to_numpy(
        zero_copy_only=False
    )
    assert set(table.column("event_id").to_numpy()[future]) == set(report.event_ids)
    assert future.any()

    table, report, _ = faulty("wrong_types")
    assert table.schema.field("user_id").type == pa.string()
    assert table.column("user_id").to_pylist() == [str(u) for u in original["user_id"].to_pylist()]

    table, report, _ = faulty("unknown_event_types")
    unknown = pc.equal(table.column("event_type"), UNKNOWN_EVENT_TYPE).to_numpy(
        zero_copy_only=False
    )
    assert set(table.column("event_id").to_numpy()[unknown]) == set(report.event_ids)

    table, report, landing = faulty("bot_flood")
    assert table.num_rows == n + BOT_EVENTS
    bot = report.details["user_id"]
    assert bot in set(original["user_id"].to_pylist()) or bot <= n_users
    bot_rows = pc.equal(table.column("user_id"), bot).to_numpy(zero_copy_only=False)
    assert bot_rows.sum() >= BOT_EVENTS
    assert len(set(table.column("event_id").to_pylist())) == table.num_rows  # ids stay unique
    all_ids = pa.concat_tables(read_day(landing, day) for day in DAYS).column("event_id")
    assert len(pc.unique(all_ids)) == len(all_ids)
    starts = pa.scalar(dt.datetime.combine(FAULT_DAY, dt.time()))
    assert pc.all(pc.greater_equal(table.column("event_at"), starts)).as_py()

    table, report, landing = faulty("truncated_file")
    assert table is None
    path = data_files(day_folder(landing, FAULT_DAY))[0]
    original_path = data_files(day_folder(clean / "landing", FAULT_DAY))[0]
    assert path.stat().st_size == original_path.stat().st_size // 2
    with pytest.raises(pa.ArrowException):
        pq.read_table(path)

    table, report, _ = faulty("missing_column")
    assert table.column_names == [c for c in EVENTS.columns if c != "dwell_seconds"]
    assert table.num_rows == n

    table, report, landing = faulty("empty_day")
    assert table.num_rows == 0 and table.column_names == list(EVENTS.columns)
    assert len(report.event_ids) == n and report.rows_after == 0
    assert FAULT_DAY in complete_event_days(landing)


def test_platform_faults_produce_exactly_the_described_defects(clean: Path, tmp_path: Path) -> None:
    original = read_day(clean / "landing", FAULT_DAY)
    folder = day_folder(clean / "landing", FAULT_DAY)

    def faulty(fault: str) -> tuple[FaultReport, Path]:
        landing = copy_of(clean, tmp_path / fault)
        return apply_fault(landing, fault, FAULT_DAY, SEED), landing

    report, landing = faulty("day_without_marker")
    assert report.files == (day_folder(landing, FAULT_DAY) / DAY_COMPLETE_MARKER,)
    assert not report.files[0].exists() and read_day(landing, FAULT_DAY).equals(original)

    report, landing = faulty("stray_file")
    (stray,) = report.files
    assert stray.name == f"{data_files(folder)[0].name}{STRAY_SUFFIX}"
    assert stray.read_bytes() == data_files(folder)[0].read_bytes()

    report, landing = faulty("bad_day_folder")
    assert not day_folder(landing, FAULT_DAY).exists()
    assert invalid_event_entries(landing) == [f"date={FAULT_DAY:%Y%m%d}"]
    assert sorted(p.name for p in report.files[0].iterdir()) == sorted(
        p.name for p in folder.iterdir()
    )

    report, landing = faulty("fractional_ids")
    table = read_day(landing, FAULT_DAY)
    post_ids = table.column(FRACTIONAL_ID_COLUMN)
    assert post_ids.type == pa.float64()
    fractional = pc.not_equal(post_ids, pc.floor(post_ids))
    assert set(table.column("event_id").filter(fractional).to_pylist()) == set(report.event_ids)
    assert pc.equal(pc.floor(post_ids), original.column("post_id").cast(pa.float64())).to_pylist()

    report, landing = faulty("nan_dwell")
    table = read_day(landing, FAULT_DAY)
    nan = pc.is_nan(table.column("dwell_seconds"))
    assert set(table.column("event_id").filter(nan).to_pylist()) == set(report.event_ids)
    assert 0 < len(report.event_ids) < table.num_rows

    report, landing = faulty("zoned_timestamps")
    (written,) = report.files
    assert [p.name for p in data_files(day_folder(landing, FAULT_DAY))] == [written.name]
    assert written.read_text().splitlines()[1].split(",")[4].endswith('+05:30"')


def test_unknown_fault_or_missing_day_is_refused(clean: Path) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        apply_fault(clean / "landing", "meteor", FAULT_DAY, SEED)
    with pytest.raises(FileNotFoundError):
        apply_fault(clean / "landing", "null_keys", dt.date(2000, 1, 1), SEED)


@pytest.mark.parametrize("fault", DIMENSION_FAULTS)
def test_each_dimension_fault_rewrites_only_its_table_file(
    clean: Path, tmp_path: Path, fault: str
) -> None:
    landing = copy_of(clean, tmp_path)
    before = day_bytes(clean / "landing")
    report = apply_dimension_fault(landing, fault, SEED)
    table = DIMENSION_FAULTS[fault].name
    assert isinstance(report, DimensionFaultReport) and report.table == table
    written = f"{table}.csv" if fault == "header_only_dimension" else f"{table}.parquet"
    assert report.files == (DIMENSION_FAULTS[fault].folder(landing) / written,)
    after = day_bytes(landing)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {(table, f"{table}.parquet"), (table, written)}
    assert complete_event_days(landing) == DAYS
    assert not [p for p in landing.rglob("*") if p.name.endswith(".tmp")]
    # Deterministic per seed.
    again = copy_of(clean, tmp_path / "again")
    assert apply_dimension_fault(again, fault, SEED).ids == report.ids
    assert day_bytes(again) == after


def test_dimension_faults_produce_exactly_the_described_defects(
    clean: Path, tmp_path: Path
) -> None:
    def faulty(fault: str) -> tuple[pa.Table, pa.Table, DimensionFaultReport]:
        contract = DIMENSION_FAULTS[fault]
        file = f"{contract.name}/{contract.name}.parquet"
        landing = copy_of(clean, tmp_path / fault)
        report = apply_dimension_fault(landing, fault, SEED)
        return pq.read_table(landing / file), pq.read_table(clean / "landing" / file), report

    def ids_where(table: pa.Table, key: str, mask: pa.ChunkedArray) -> set[int]:
        return set(table.column(key).filter(mask).to_pylist())

    users, original, report = faulty("duplicate_users")
    ids, counts = np.unique(users.column("user_id").to_numpy(), return_counts=True)
    assert set(ids[counts > 1]) == set(report.ids) and counts.max() == 2
    assert 0 < len(report.ids) < original.num_rows
    assert users.num_rows == report.rows_after == original.num_rows + len(report.ids)
    assert users.to_pandas().drop_duplicates().reset_index(drop=True).equals(original.to_pandas())

    posts, original, report = faulty("null_post_creators")
    nulls = pc.is_null(posts.column("creator_id"))
    assert ids_where(posts, "post_id", nulls) == set(report.ids) and len(report.ids) > 0
    kept = pc.invert(nulls)
    assert posts.filter(kept).equals(original.filter(kept))

    subscriptions, original, report = faulty("unknown_subscription_tier")
    unknown = pc.equal(subscriptions.column("tier"), UNKNOWN_TIER)
    assert ids_where(subscriptions, "subscription_id", unknown) == set(report.ids)
    assert 0 < len(report.ids) < subscriptions.num_rows
    assert subscriptions.drop_columns(["tier"]).equals(original.drop_columns(["tier"]))

    creators, original, report = faulty("creators_missing_column")
    assert creators.column_names == [c for c in CREATORS.columns if c != "category"]
    assert creators.equals(original.drop_columns(["category"]))

    creators, original, report = faulty("creators_wrong_types")
    assert creators.schema.field("created_at").type == pa.string()
    parsed = pc.cast(creators.column("created_at"), pa.timestamp("us"))
    assert parsed.equals(original.column("created_at"))
    assert len(report.ids) == creators.num_rows


def test_a_header_only_dimension_delivery_replaces_the_file_with_a_header(
    clean: Path, tmp_path: Path
) -> None:
    landing = copy_of(clean, tmp_path)
    report = apply_dimension_fault(landing, "header_only_dimension", SEED)
    assert [p.name for p in data_files(USERS.folder(landing))] == ["users.csv"]
    assert report.files[0].read_text() == ",".join(USERS.columns) + "\n"
    assert report.rows_after == 0 and len(report.ids) == report.rows_before > 0


# What the raw load says for each fault the README says it stops (README: the fault table).
RAW_LOAD_REFUSALS: dict[str, str] = {
    "wrong_types": "stores user_id as text",
    "truncated_file": "Cannot read landing file",
    "missing_column": "lacks column(s) dwell_seconds",
    "day_without_marker": f"has no {DAY_COMPLETE_MARKER} marker",
    "stray_file": f"holds 'part-0.parquet{STRAY_SUFFIX}', which the loader does not read",
    "bad_day_folder": "No landing file for table 'events'",
    "fractional_ids": f"do not convert exactly to {FRACTIONAL_ID_COLUMN} as BIGINT",
    "nan_dwell": "do not convert exactly to dwell_seconds as DOUBLE",
    "creators_missing_column": "lacks column(s) category",
    "creators_wrong_types": "stores created_at as text",
    "header_only_dimension": "holds no rows",
}


def load_raw(conn: duckdb.DuckDBPyConnection, landing: Path, table: str) -> None:
    if table == "events":
        load_event_days(conn, landing, [FAULT_DAY])
    else:
        load_dimension_table(conn, DIMENSION_FAULTS_BY_TABLE[table], landing)


DIMENSION_FAULTS_BY_TABLE = {contract.name: contract for contract in DIMENSION_FAULTS.values()}


@pytest.fixture(scope="module")
def warehouse(clean: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the clean delivery: every dimension table and the fault day."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        for contract in DIMENSION_TABLES:
            load_dimension_table(conn, contract, clean / "landing")
        load_event_days(conn, clean / "landing", [FAULT_DAY])
    return path


@pytest.mark.parametrize("fault", RAW_LOAD_REFUSALS)
def test_the_raw_load_refuses_each_fault_and_keeps_the_previous_data(
    clean: Path, warehouse: Path, tmp_path: Path, fault: str
) -> None:
    landing = copy_of(clean, tmp_path)
    shutil.copyfile(warehouse, tmp_path / "warehouse.duckdb")
    if fault in DIMENSION_FAULTS:
        apply_dimension_fault(landing, fault, SEED)
        table = DIMENSION_FAULTS[fault].name
    else:
        apply_fault(landing, fault, FAULT_DAY, SEED)
        table = "events"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        before = conn.execute(f"SELECT * FROM raw.{table} ORDER BY ALL").fetchall()
        with pytest.raises(LandingFileError, match=re.escape(RAW_LOAD_REFUSALS[fault])):
            load_raw(conn, landing, table)
        assert conn.execute(f"SELECT * FROM raw.{table} ORDER BY ALL").fetchall() == before


def test_a_zoned_delivery_loads_the_same_utc_instants_as_the_plain_one(
    clean: Path, warehouse: Path, tmp_path: Path
) -> None:
    landing = copy_of(clean, tmp_path)
    apply_fault(landing, "zoned_timestamps", FAULT_DAY, SEED)
    shutil.copyfile(warehouse, tmp_path / "zoned.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        plain = conn.execute("SELECT * FROM raw.events ORDER BY event_id").fetchall()
    with duckdb.connect(str(tmp_path / "zoned.duckdb")) as conn:
        # Neither the session's time zone nor the offset may move an instant.
        conn.execute("SET TimeZone = 'America/New_York'")
        conn.execute("DELETE FROM raw.events")
        load_event_days(conn, landing, [FAULT_DAY])
        zoned = conn.execute("SELECT * FROM raw.events ORDER BY event_id").fetchall()
    assert len(plain) > 0 and zoned == plain


def test_unknown_dimension_fault_or_missing_delivery_is_refused(
    clean: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown dimension fault"):
        apply_dimension_fault(clean / "landing", "null_keys", SEED)
    landing = copy_of(clean, tmp_path)
    shutil.rmtree(SUBSCRIPTIONS.folder(landing))
    with pytest.raises(FileNotFoundError, match="subscriptions"):
        apply_dimension_fault(landing, "unknown_subscription_tier", SEED)


def test_default_generation_is_unchanged_by_the_new_options(clean: Path, tmp_path: Path) -> None:
    explicit = generate_platform(
        tmp_path / "landing", tmp_path / "truth", "tiny", SEED, drift_from=None, drift="engagement"
    )
    assert day_bytes(explicit.out) == day_bytes(clean / "landing")
    assert day_bytes(tmp_path / "truth") == day_bytes(clean / "truth")


def top_topic_share(landing: Path, truth: Path, days: list[dt.date]) -> float:
    """Share of (non-front-page and front-page) events in the user's top true topic."""
    prefs = pq.read_table(truth / USER_TOPICS_FILE).to_pandas()
    top = prefs.sort_values("weight", ascending=False).drop_duplicates("user_id")
    events = pa.concat_tables(read_day(landing, day) for day in days).to_pandas()
    posts = pq.read_table(POSTS.folder(landing) / "posts.parquet").to_pandas()
    creators = pq.read_table(landing / "creators" / "creators.parquet").to_pandas()
    merged = (
        events.merge(posts[["post_id", "creator_id"]], on="post_id")
        .merge(creators[["creator_id", "category"]], on="creator_id")
        .merge(top[["user_id", "topic"]], on="user_id")
    )
    return float((merged["category"] == merged["topic"]).mean())


def test_topic_shift_changes_the_topic_mix_only_from_drift_from(
    clean: Path, tmp_path: Path
) -> None:
    drifted = generate_platform(
        tmp_path / "landing", tmp_path / "truth", "tiny", SEED, drift_from=DRIFT_FROM
    )
    before = [day for day in DAYS if day < DRIFT_FROM]
    after = [day for day in DAYS if day >= DRIFT_FROM]
    for day in before:
        assert read_day(drifted.out, day).equals(read_day(clean / "landing", day))
    for day in after:
        assert not read_day(drifted.out, day).equals(read_day(clean / "landing", day))
    for name in ("users", "creators", "posts"):
        assert day_bytes(drifted.out / name) == day_bytes(clean / "landing" / name)
    assert day_bytes(drifted.truth_out) == day_bytes(clean / "truth")
    clean_after = top_topic_share(clean / "landing", clean / "truth", after)
    drifted_after = top_topic_share(drifted.out, drifted.truth_out, after)
    drifted_before = top_topic_share(drifted.out, drifted.truth_out, before)
    assert drifted_before > 0.45 and clean_after > 0.45
    assert drifted_after < clean_after - 0.2


def test_engagement_drift_brings_more_views_and_shorter_dwell(clean: Path, tmp_path: Path) -> None:
    drifted = generate_platform(
        tmp_path / "landing", tmp_path / "truth", "tiny", SEED, drift_from=DRIFT_FROM,
        drift="engagement",
    )  # fmt: skip
    after = [day for day in DAYS if day >= DRIFT_FROM]
    clean_events = pa.concat_tables(read_day(clean / "landing", d) for d in after).to_pandas()
    drift_events = pa.concat_tables(read_day(drifted.out, d) for d in after).to_pandas()
    assert len(drift_events) > 1.15 * len(clean_events)
    views = (drift_events.event_type == "view").mean()
    assert views > (clean_events.event_type == "view").mean() + 0.1
    ratio = drift_events.dwell_seconds.median() / clean_events.dwell_seconds.median()
    assert ratio < (1 + DWELL_FACTOR) / 2
    with pytest.raises(ValueError, match="unknown drift"):
        generate_platform(tmp_path / "x", tmp_path / "y", "tiny", SEED, drift="meteor")


def test_cli_applies_faults_and_drift(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    second = FAULT_DAY + dt.timedelta(days=1)
    result = subprocess.run(
        [
            sys.executable, "-m", "recsys.datagen", "--scale", "tiny", "--out", str(landing),
            "--seed", str(SEED), "--fault", "empty_day", "--fault-day", FAULT_DAY.isoformat(),
            "--fault", "unknown_subscription_tier",
            "--fault", "missing_column", "--fault-day", second.isoformat(),
            "--drift-from", DRIFT_FROM.isoformat(), "--drift", "engagement",
        ],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "fault empty_day" in result.stdout and "fault missing_column" in result.stdout
    assert "fault unknown_subscription_tier on subscriptions" in result.stdout
    assert read_day(landing, FAULT_DAY).num_rows == 0
    assert "dwell_seconds" not in read_day(landing, second).column_names
    tiers = pq.read_table(SUBSCRIPTIONS.folder(landing) / "subscriptions.parquet").column("tier")
    assert UNKNOWN_TIER in tiers.to_pylist()
    assert len(complete_event_days(landing)) == N_DAYS

    refused = subprocess.run(
        [sys.executable, "-m", "recsys.datagen", "--out", str(tmp_path / "x"), "--fault",
         "empty_day"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "--fault-day" in refused.stderr

    dayless = subprocess.run(
        [sys.executable, "-m", "recsys.datagen", "--out", str(tmp_path / "y"), "--fault",
         "duplicate_users", "--fault-day", FAULT_DAY.isoformat()],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert dayless.returncode != 0 and "needs a --fault on events" in dayless.stderr


def test_the_readme_says_what_stops_each_fault() -> None:
    readme = (REPO / "README.md").read_text()
    for fault in (*FAULTS, *DIMENSION_FAULTS):
        assert f"| `{fault}` | " in readme, fault
