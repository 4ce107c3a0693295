"""The run's days of events to check, and the key tables the events are checked against."""

from __future__ import annotations

import datetime as dt

import duckdb

from recsys.quality.checks import days_in_range, missing_key_tables


def test_a_range_of_days_includes_both_ends() -> None:
    assert days_in_range("2026-09-30", "2026-10-02") == [
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 2),
    ]


def test_a_single_partition_is_one_day() -> None:
    assert days_in_range("2026-10-01", "2026-10-01") == [dt.date(2026, 10, 1)]


def test_a_run_without_partition_tags_checks_no_day() -> None:
    assert days_in_range(None, None) == []
    assert days_in_range("2026-10-01", None) == []


def test_the_key_tables_not_loaded_yet_are_named() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA raw")
    conn.execute("CREATE TABLE raw.users AS SELECT 1 AS user_id")

    assert missing_key_tables(conn) == ["raw.posts"]
    conn.execute("CREATE TABLE raw.posts AS SELECT 1 AS post_id")
    assert missing_key_tables(conn) == []
