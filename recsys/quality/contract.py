"""The data contract as plain data: the expectations each raw table and feature mart must meet.

Each expectation names a Great Expectations 1.x expectation type and its kwargs, so
`recsys.quality.validate` can run it, but nothing here imports GX: this module is the readable
contract. Raw tables take their columns and types from `recsys.ingest.landing`; the events suite
takes the partition's day and the current time, so it checks one day's delivery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from recsys.ingest import landing

Severity = Literal["error", "warning"]

MAX_DWELL_SECONDS = 86_400.0

# pandas dtypes a DuckDB type arrives as: DuckDB -> pandas gives numpy dtypes, or the nullable
# extension dtypes when an integer or boolean column holds NULLs. Extension dtypes are spelled by
# their pandas class name, which is what GX's type check resolves (it does not know "Int64").
# On an object column GX checks each value's Python type instead, hence "str" for VARCHAR.
PANDAS_DTYPES: dict[str, list[str]] = {
    "BIGINT": ["int64", "Int64Dtype"],
    "DOUBLE": ["float64", "Float64Dtype"],
    "VARCHAR": ["object", "str", "StringDtype"],
    "BOOLEAN": ["bool", "BooleanDtype"],
    "TIMESTAMP": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}


@dataclass(frozen=True)
class Expectation:
    """One clause of the contract: a GX expectation type, its kwargs, a severity and a name."""

    name: str
    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")


def _columns_and_types(table: str, columns: dict[str, str]) -> list[Expectation]:
    """Every contracted column exists and has its type (extra columns are allowed)."""
    out: list[Expectation] = []
    for column, duckdb_type in columns.items():
        out.append(
            Expectation(f"{table}.{column} exists", "expect_column_to_exist", {"column": column})
        )
        out.append(
            Expectation(
                f"{table}.{column} is {duckdb_type}",
                "expect_column_values_to_be_in_type_list",
                {"column": column, "type_list": PANDAS_DTYPES[duckdb_type]},
            )
        )
    return out


def _key(table: str, column: str) -> list[Expectation]:
    unique = Expectation(
        f"{table}.{column} is unique", "expect_column_values_to_be_unique", {"column": column}
    )
    return [*_not_null(table, column), unique]


def _not_null(table: str, *columns: str, severity: Severity = "error") -> list[Expectation]:
    return [
        Expectation(
            f"{table}.{column} is not null",
            "expect_column_values_to_not_be_null",
            {"column": column},
            severity,
        )
        for column in columns
    ]


def _in_set(table: str, column: str, values: tuple[str, ...]) -> Expectation:
    return Expectation(
        f"{table}.{column} is one of {', '.join(values)}",
        "expect_column_values_to_be_in_set",
        {"column": column, "value_set": list(values)},
    )


def _between(
    table: str,
    column: str,
    low: Any,
    high: Any,
    severity: Severity = "error",
    name: str | None = None,
    strict_max: bool = False,
) -> Expectation:
    kwargs: dict[str, Any] = {"column": column, "min_value": low, "max_value": high}
    if strict_max:
        kwargs["strict_max"] = True
    if name is None:
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        name = f"{table}.{column} is {bounds}"
    return Expectation(
        name,
        "expect_column_values_to_be_between",
        kwargs,
        severity,
    )


def _at_least(table: str, later: str, earlier: str, severity: Severity = "error") -> Expectation:
    """`later` >= `earlier` wherever both are set (a timestamp order, or a count and its subset)."""
    return Expectation(
        f"{table}.{later} >= {earlier}",
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        severity,
    )


def _raw(contract: landing.TableContract) -> list[Expectation]:
    return _columns_and_types(contract.name, contract.columns) + _key(contract.name, contract.key)


def users_expectations() -> list[Expectation]:
    t = "users"
    return [
        *_raw(landing.USERS),
        *_not_null(t, "signup_at"),
        *_not_null(t, "country", severity="warning"),
    ]


def creators_expectations() -> list[Expectation]:
    t = "creators"
    return [
        *_raw(landing.CREATORS),
        *_not_null(t, "created_at"),
        *_not_null(t, "name", "category", severity="warning"),
    ]


def posts_expectations() -> list[Expectation]:
    t = "posts"
    return [
        *_raw(landing.POSTS),
        *_not_null(t, "creator_id", "published_at", "is_paid"),
        *_not_null(t, "title", "body", severity="warning"),
    ]


def subscriptions_expectations() -> list[Expectation]:
    t = "subscriptions"
    return [
        *_raw(landing.SUBSCRIPTIONS),
        *_not_null(t, "user_id", "creator_id", "tier", "started_at"),
        _in_set(t, "tier", landing.SUBSCRIPTION_TIERS),
        _at_least(t, "ended_at", "started_at", severity="warning"),
    ]


def events_expectations(day: dt.date, now: dt.datetime) -> list[Expectation]:
    """One day's events: typed, keyed, known types, sane dwell, inside the day and not future.

    `now` is naive UTC like event_at; the caller passes it so the suite has no hidden clock.
    """
    t = "events"
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    return [
        *_raw(landing.EVENTS),
        *_not_null(t, "user_id", "post_id", "event_type", "event_at"),
        _in_set(t, "event_type", landing.EVENT_TYPES),
        _between(t, "dwell_seconds", 0.0, MAX_DWELL_SECONDS),
        _between(
            t, "event_at", start, end, strict_max=True, name=f"{t}.event_at is on {day.isoformat()}"
        ),
        Expectation(
            f"{t}.event_at is not in the future",
            "expect_column_values_to_be_between",
            {"column": "event_at", "max_value": now},
        ),
    ]


USER_FEATURES_COLUMNS: dict[str, str] = {
    "user_id": "BIGINT",
    "signup_at": "TIMESTAMP",
    "country": "VARCHAR",
    "n_events": "BIGINT",
    **{f"n_{event_type}s": "BIGINT" for event_type in landing.EVENT_TYPES},
    "active_days": "BIGINT",
    "n_distinct_creators": "BIGINT",
    "n_distinct_posts": "BIGINT",
    "mean_dwell_seconds": "DOUBLE",
    "n_active_subscriptions": "BIGINT",
    "n_active_paid_subscriptions": "BIGINT",
    "last_event_at": "TIMESTAMP",
    "days_since_signup": "BIGINT",
    "is_bot": "BOOLEAN",
}
CREATOR_FEATURES_COLUMNS: dict[str, str] = {
    "creator_id": "BIGINT",
    "creator_name": "VARCHAR",
    "category": "VARCHAR",
    "created_at": "TIMESTAMP",
    "n_posts": "BIGINT",
    "n_paid_posts": "BIGINT",
    "first_post_at": "TIMESTAMP",
    "last_post_at": "TIMESTAMP",
    "n_active_subscribers": "BIGINT",
    "n_paid_subscribers": "BIGINT",
    "n_events": "BIGINT",
    "n_distinct_readers": "BIGINT",
    "n_events_recent": "BIGINT",
    "n_distinct_readers_recent": "BIGINT",
    "is_new": "BOOLEAN",
}
POST_FEATURES_COLUMNS: dict[str, str] = {
    "post_id": "BIGINT",
    "creator_id": "BIGINT",
    "category": "VARCHAR",
    "title": "VARCHAR",
    "body": "VARCHAR",
    "published_at": "TIMESTAMP",
    "is_paid": "BOOLEAN",
    "n_events": "BIGINT",
    "n_views": "BIGINT",
    "n_reads": "BIGINT",
    "n_likes": "BIGINT",
    "n_distinct_readers": "BIGINT",
    "read_rate": "DOUBLE",
    "mean_dwell_seconds": "DOUBLE",
}


def _counts(table: str, columns: dict[str, str]) -> list[Expectation]:
    """Count columns (BIGINT, named n_*) are present for every row and never negative."""
    counts = [c for c, kind in columns.items() if kind == "BIGINT" and c.startswith("n_")]
    return [*_not_null(table, *counts), *(_between(table, c, 0, None) for c in counts)]


def user_features_expectations() -> list[Expectation]:
    t = "marts.user_features"
    return [
        *_columns_and_types(t, USER_FEATURES_COLUMNS),
        *_key(t, "user_id"),
        *_counts(t, USER_FEATURES_COLUMNS),
        *_not_null(t, "is_bot"),
        _between(t, "mean_dwell_seconds", 0.0, MAX_DWELL_SECONDS),
        _at_least(t, "n_events", "active_days"),
        _at_least(t, "n_active_subscriptions", "n_active_paid_subscriptions"),
    ]


def creator_features_expectations() -> list[Expectation]:
    t = "marts.creator_features"
    return [
        *_columns_and_types(t, CREATOR_FEATURES_COLUMNS),
        *_key(t, "creator_id"),
        *_counts(t, CREATOR_FEATURES_COLUMNS),
        _at_least(t, "n_posts", "n_paid_posts"),
        _at_least(t, "n_events", "n_events_recent"),
        _at_least(t, "n_active_subscribers", "n_paid_subscribers"),
        _at_least(t, "last_post_at", "first_post_at"),
        *_not_null(t, "category", severity="warning"),
    ]


def post_features_expectations() -> list[Expectation]:
    t = "marts.post_features"
    return [
        *_columns_and_types(t, POST_FEATURES_COLUMNS),
        *_key(t, "post_id"),
        *_not_null(t, "creator_id"),
        *_counts(t, POST_FEATURES_COLUMNS),
        _between(t, "read_rate", 0.0, 1.0),
        _between(t, "mean_dwell_seconds", 0.0, MAX_DWELL_SECONDS),
        _at_least(t, "n_events", "n_views"),
        *_not_null(t, "category", severity="warning"),
    ]


# id column per table, used to name offending rows
ID_COLUMNS: dict[str, str] = {
    "users": "user_id",
    "creators": "creator_id",
    "posts": "post_id",
    "subscriptions": "subscription_id",
    "events": "event_id",
    "marts.user_features": "user_id",
    "marts.creator_features": "creator_id",
    "marts.post_features": "post_id",
}


def suite(
    table: str, day: dt.date | None = None, now: dt.datetime | None = None
) -> list[Expectation]:
    """The expectations of one table; `events` needs the partition's day and the current time."""
    if table == "events":
        if day is None or now is None:
            raise ValueError("the events suite needs the partition's day and the current time")
        return events_expectations(day, now)
    suites = {
        "users": users_expectations,
        "creators": creators_expectations,
        "posts": posts_expectations,
        "subscriptions": subscriptions_expectations,
        "marts.user_features": user_features_expectations,
        "marts.creator_features": creator_features_expectations,
        "marts.post_features": post_features_expectations,
    }
    if table not in suites:
        raise KeyError(f"no contract for table {table!r}; known: {sorted(ID_COLUMNS)}")
    return suites[table]()
