"""Drift windows: two weeks the model learned from against the last week, never overlapping."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from recsys.monitoring.windows import (
    CURRENT_DAYS,
    REFERENCE_DAYS,
    drift_windows,
    read_window,
)
from recsys.warehouse import latest_event_at

TRAINED = dt.datetime(2026, 10, 15)


def test_the_reference_is_the_days_before_training_and_the_current_the_last_days() -> None:
    latest = TRAINED + dt.timedelta(days=10, hours=3)

    windows = drift_windows(TRAINED, latest)

    assert windows is not None
    assert windows.reference_start == TRAINED - dt.timedelta(days=REFERENCE_DAYS)
    assert windows.trained_through == TRAINED
    assert windows.current_start == latest - dt.timedelta(days=CURRENT_DAYS)
    assert windows.latest == latest


def test_the_current_window_never_starts_before_the_model_was_trained() -> None:
    latest = TRAINED + dt.timedelta(days=2)

    windows = drift_windows(TRAINED, latest)

    assert windows is not None
    assert windows.current_start == TRAINED


def test_the_window_lengths_are_parameters() -> None:
    latest = TRAINED + dt.timedelta(days=30)

    windows = drift_windows(TRAINED, latest, reference_days=3, current_days=1)

    assert windows is not None
    assert windows.reference_start == TRAINED - dt.timedelta(days=3)
    assert windows.current_start == latest - dt.timedelta(days=1)


@pytest.mark.parametrize("latest", [None, TRAINED, TRAINED - dt.timedelta(days=1)])
def test_no_event_after_training_means_nothing_to_compare(latest: dt.datetime | None) -> None:
    assert drift_windows(TRAINED, latest) is None


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    """Creators 1 (cooking) and 2 (travel); one event a day at noon from Oct 1 to Oct 20."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA staging")
    conn.execute(
        "CREATE TABLE staging.stg_creators AS "
        "SELECT * FROM (VALUES (1, 'cooking'), (2, 'travel')) v(creator_id, category)"
    )
    conn.execute(
        "CREATE TABLE staging.stg_events AS SELECT "
        "TIMESTAMP '2026-10-01 12:00' + INTERVAL (i) DAY AS event_at, "
        "1 + i % 2 AS creator_id, 'read' AS event_type, 30.0 AS dwell_seconds "
        "FROM range(20) r(i)"
    )
    return conn


def test_a_window_holds_the_events_after_its_start_up_to_and_including_its_end(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    start, end = dt.datetime(2026, 10, 3, 12), dt.datetime(2026, 10, 6, 12)

    features, events = read_window(conn, start, end)

    assert events == 3  # Oct 4, 5 and 6; not Oct 3, at the start
    assert list(features.columns) == ["category", "event_type", "dwell_seconds", "hour_of_day"]
    assert len(features) == 3 and set(features["hour_of_day"]) == {12}
    assert set(features["category"]) == {"cooking", "travel"}


def test_the_latest_event_is_none_without_events(conn: duckdb.DuckDBPyConnection) -> None:
    assert latest_event_at(conn) == dt.datetime(2026, 10, 20, 12)
    conn.execute("DELETE FROM staging.stg_events")
    assert latest_event_at(conn) is None
