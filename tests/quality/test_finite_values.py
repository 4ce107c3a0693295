"""NaN and infinities in a float column fail the data contract, counted in SQL on the warehouse
table: read into pandas, NaN and NULL look alike to GX."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from recsys.quality.checks import FINITE_EXPECTATION, check_event_day, check_table

NOW = dt.datetime(2026, 9, 30)
DAY = dt.date(2026, 9, 1)


def post_features(conn: duckdb.DuckDBPyConnection, mean_dwell: list[str]) -> None:
    """marts.post_features with one well-formed post per mean dwell (a SQL literal)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
    rows = ", ".join(
        f"({post_id}, 1, 'garden', 't', 'b', TIMESTAMP '2026-08-01', false, 4, 2, 1, 1, 3, "
        f"0.5, {dwell})"
        for post_id, dwell in enumerate(mean_dwell, start=1)
    )
    conn.execute(
        "CREATE TABLE marts.post_features (post_id BIGINT, creator_id BIGINT, category VARCHAR, "
        "title VARCHAR, body VARCHAR, published_at TIMESTAMP, is_paid BOOLEAN, n_events BIGINT, "
        "n_views BIGINT, n_reads BIGINT, n_likes BIGINT, n_distinct_readers BIGINT, "
        "read_rate DOUBLE, mean_dwell_seconds DOUBLE)"
    )
    conn.execute(f"INSERT INTO marts.post_features VALUES {rows}")


def test_finite_and_null_float_values_pass() -> None:
    conn = duckdb.connect()
    post_features(conn, ["30.0", "NULL", "12.5"])

    report = check_table(conn, "marts.post_features", "marts.post_features")

    assert report.passed, report.summary()


@pytest.mark.parametrize("value", ["'nan'::DOUBLE", "'inf'::DOUBLE", "'-inf'::DOUBLE"])
def test_a_non_finite_mean_dwell_fails_naming_table_column_count_and_post(value: str) -> None:
    conn = duckdb.connect()
    post_features(conn, ["30.0", value, "NULL", value])

    report = check_table(conn, "marts.post_features", "marts.post_features")

    assert not report.passed
    [failure] = [f for f in report.errors if f.expectation_type == FINITE_EXPECTATION]
    assert failure.table == "marts.post_features" and failure.column == "mean_dwell_seconds"
    assert failure.unexpected_count == 2 and failure.offending_ids == [2, 4]
    assert "marts.post_features.mean_dwell_seconds is finite" in report.summary()


def test_nan_in_a_day_of_raw_events_fails_that_day_only() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA raw")
    conn.execute(
        "CREATE TABLE raw.events AS SELECT * FROM (VALUES "
        "(1, 1, 10, 'read', TIMESTAMP '2026-09-01 08:00', 'nan'::DOUBLE, DATE '2026-09-01'), "
        "(2, 1, 10, 'read', TIMESTAMP '2026-09-02 08:00', 'nan'::DOUBLE, DATE '2026-09-02'), "
        "(3, 1, 10, 'read', TIMESTAMP '2026-09-01 09:00', 30.0, DATE '2026-09-01')) "
        "AS t(event_id, user_id, post_id, event_type, event_at, dwell_seconds, event_date)"
    )
    users = conn.execute("SELECT 1 AS user_id").df()
    posts = conn.execute("SELECT 10 AS post_id").df()

    verdict = check_event_day(conn, DAY, NOW, users, posts)

    [failure] = [f for f in verdict.report.errors if f.expectation_type == FINITE_EXPECTATION]
    assert failure.column == "dwell_seconds" and failure.offending_ids == [1]
    assert failure.unexpected_count == 1
