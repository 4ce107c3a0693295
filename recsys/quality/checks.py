"""The data-contract checks on a warehouse connection, as the assets' checks and the bench run them.

A whole table against its suite, or one day of events against the events suite, the share of its
events with a known user and post, and its volume against the trailing week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from recsys.quality.contract import ID_COLUMNS, suite
from recsys.quality.coverage import coverage_ok, referential_coverage, volume_ok, volume_ratio
from recsys.quality.validate import ValidationReport, validate

TRAILING_DAYS = 7


def check_table(conn: duckdb.DuckDBPyConnection, table: str, relation: str) -> ValidationReport:
    """Validate the warehouse relation (schema.name) against the suite of `table`."""
    frame = conn.execute(f"SELECT * FROM {relation}").df()
    return validate(frame, table, suite(table), ID_COLUMNS[table])


@dataclass(frozen=True)
class EventDayCheck:
    """One day's verdict: the suite's report and every problem found (empty when it passed)."""

    day: dt.date
    report: ValidationReport
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def known_keys(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The user and post ids events may refer to (raw.users, raw.posts)."""
    users = conn.execute("SELECT user_id FROM raw.users").df()
    posts = conn.execute("SELECT post_id FROM raw.posts").df()
    return users, posts


def check_event_day(
    conn: duckdb.DuckDBPyConnection,
    day: dt.date,
    now: dt.datetime,
    users: pd.DataFrame,
    posts: pd.DataFrame,
) -> EventDayCheck:
    """The events of `day` in raw.events: suite, referential coverage and volume."""
    frame = conn.execute("SELECT * FROM raw.events WHERE event_date = ?", [day]).df()
    report = validate(frame, "events", suite("events", day, now), "event_id")
    problems = [] if report.passed else [report.summary()]
    coverage = referential_coverage(frame, users, posts)
    if not coverage_ok(coverage):
        problems.append(f"events {day}: only {coverage:.1%} of events have a known user and post")
    trailing = [
        row[0]
        for row in conn.execute(
            "SELECT count(*) FROM raw.events WHERE event_date BETWEEN ? AND ? GROUP BY event_date",
            [day - dt.timedelta(days=TRAILING_DAYS), day - dt.timedelta(days=1)],
        ).fetchall()
    ]
    ratio = volume_ratio(len(frame), trailing)
    if not volume_ok(ratio):
        problems.append(f"events {day}: {len(frame)} rows, {ratio:.2f}x the trailing median")
    return EventDayCheck(day, report, problems)
