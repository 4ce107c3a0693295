"""The data-contract checks on a warehouse connection, as the assets' checks and the bench run them.

A whole table against its suite, or one day of events against the events suite, the share of its
events with a known user and post, and its volume against its trailing days (a band that follows
the platform's own spread, warning or blocking by setting: volume.py). Every DOUBLE or FLOAT column
must also hold finite numbers only: that is counted in SQL on the warehouse relation, since once
rows become pandas NaN and NULL are the same value to GX.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from recsys.quality.contract import ID_COLUMNS, suite
from recsys.quality.coverage import coverage_ok, referential_coverage
from recsys.quality.validate import MAX_OFFENDING_IDS, Failure, ValidationReport, validate
from recsys.quality.volume import VolumeRule, VolumeVerdict, judge_volume

FLOAT_TYPES = ("DOUBLE", "FLOAT")
FINITE_EXPECTATION = "sql: no isnan(x) OR isinf(x)"


def check_table(conn: duckdb.DuckDBPyConnection, table: str, relation: str) -> ValidationReport:
    """Validate the warehouse relation (schema.name) against the suite of `table`, and its float
    columns for NaN and infinities."""
    frame = conn.execute(f"SELECT * FROM {relation}").df()
    report = validate(frame, table, suite(table), ID_COLUMNS[table])
    return with_finite_checks(conn, report, relation, ID_COLUMNS[table])


def with_finite_checks(
    conn: duckdb.DuckDBPyConnection,
    report: ValidationReport,
    relation: str,
    id_column: str,
    where: str = "",
    parameters: Sequence[object] = (),
) -> ValidationReport:
    """The report plus one error per DOUBLE/FLOAT column of `relation` (rows matching `where`)
    holding NaN or +-inf, counted in SQL, with a few ids of the rows holding them."""
    described = conn.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    names = {str(row[0]) for row in described}
    columns = [str(row[0]) for row in described if str(row[1]) in FLOAT_TYPES]
    if not columns:
        return report
    key = _quoted(id_column) if id_column in names else "NULL"
    conditions = [f"(isnan({_quoted(c)}) OR isinf({_quoted(c)}))" for c in columns]
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {condition}), "
        f"list({key} ORDER BY {key}) FILTER (WHERE {condition})[1:{MAX_OFFENDING_IDS}]"
        for condition in conditions
    )
    row = conn.execute(
        f"SELECT count(*), {aggregates} FROM {relation}" + (f" WHERE {where}" if where else ""),
        list(parameters),
    ).fetchone()
    assert row is not None
    rows = int(row[0])
    failures = [
        Failure(
            table=report.table,
            name=f"{report.table}.{column} is finite (no NaN or infinity)",
            column=column,
            expectation_type=FINITE_EXPECTATION,
            severity="error",
            unexpected_count=int(count),
            unexpected_percent=100.0 * count / rows,
            offending_ids=[i for i in (ids or []) if i is not None],
        )
        for column, count, ids in zip(columns, row[1::2], row[2::2], strict=True)
        if count
    ]
    return ValidationReport(
        report.table, report.rows, report.evaluated + len(columns), [*report.failures, *failures]
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def days_in_range(first: str | None, last: str | None) -> list[dt.date]:
    """Each day from `first` to `last` (ISO dates), both included; none when either is missing."""
    if not first or not last:
        return []
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True)
class EventDayCheck:
    """One day's verdict: the suite's report, every problem found (empty when it passed) and
    the warnings that do not block (a volume flag in `warn` mode)."""

    day: dt.date
    report: ValidationReport
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    volume: VolumeVerdict | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def missing_key_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables `known_keys` reads (raw.users, raw.posts) that are not loaded yet."""
    loaded = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    return [f"raw.{table}" for table in ("users", "posts") if table not in loaded]


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
    rule: VolumeRule | None = None,
) -> EventDayCheck:
    """The events of a delivered `day` in raw.events: suite, referential coverage and volume."""
    rule = rule or VolumeRule()
    frame = conn.execute("SELECT * FROM raw.events WHERE event_date = ?", [day]).df()
    report = validate(frame, "events", suite("events", day, now), "event_id")
    report = with_finite_checks(conn, report, "raw.events", "event_id", "event_date = ?", [day])
    problems = [] if report.passed else [report.summary()]
    warnings: list[str] = []
    coverage = referential_coverage(frame, users, posts)
    if not coverage_ok(coverage):
        problems.append(f"events {day}: only {coverage:.1%} of events have a known user and post")
    volume = judge_volume(day.isoformat(), len(frame), trailing_volumes(conn, day, rule), rule)
    if volume.problem:
        (problems if volume.blocking else warnings).append(volume.problem)
    return EventDayCheck(day, report, problems, warnings, volume)


def trailing_volumes(conn: duckdb.DuckDBPyConnection, day: dt.date, rule: VolumeRule) -> list[int]:
    """Row counts of the days with events in the `rule.window_days` before `day` (days without a
    delivery, or with an empty one, have no rows and are left out)."""
    return [
        int(row[0])
        for row in conn.execute(
            "SELECT count(*) FROM raw.events WHERE event_date BETWEEN ? AND ? GROUP BY event_date",
            [day - dt.timedelta(days=rule.window_days), day - dt.timedelta(days=1)],
        ).fetchall()
    ]
