"""The data contract run as GX suites on small hand-built frames, and the pandas coverage checks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recsys.quality.contract import Expectation, suite
from recsys.quality.coverage import (
    coverage_ok,
    referential_coverage,
)
from recsys.quality.validate import Failure, ValidationReport, validate

DAY = dt.date(2026, 9, 1)
NOW = dt.datetime(2026, 9, 1, 20, 0)


def clean_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [1, 2, 3, 4, 5],
            "user_id": [10, 11, 12, 10, 11],
            "post_id": [100, 101, 102, 100, 102],
            "event_type": ["view", "read", "like", "comment", "share"],
            "event_at": pd.to_datetime(
                [
                    "2026-09-01 00:00:00",
                    "2026-09-01 06:30:00",
                    "2026-09-01 12:00:00",
                    "2026-09-01 18:15:00",
                    "2026-09-01 19:59:59",
                ]
            ),
            "dwell_seconds": [3.0, 120.0, None, 0.0, 8.5],
        }
    )


def validate_events(frame: pd.DataFrame) -> ValidationReport:
    return validate(frame, "events", suite("events", DAY, NOW), "event_id")


def only_failure(report: ValidationReport, column: str, expectation_type: str) -> Failure:
    matches = [
        f for f in report.failures if f.column == column and f.expectation_type == expectation_type
    ]
    assert len(matches) == 1, report.summary()
    failure = matches[0]
    assert failure.table == "events"
    assert failure.name.startswith(f"events.{column} ")
    assert failure.name in report.summary() and expectation_type in report.summary()
    return failure


def test_clean_events_pass_every_expectation() -> None:
    report = validate_events(clean_events())

    assert report.passed, report.summary()
    assert report.failures == []
    assert report.evaluated == len(suite("events", DAY, NOW))


def test_duplicated_event_ids_fail_uniqueness_naming_the_duplicated_id() -> None:
    events = clean_events()
    events.loc[3, "event_id"] = 2

    report = validate_events(events)

    failure = only_failure(report, "event_id", "expect_column_values_to_be_unique")
    assert not report.passed
    assert failure.severity == "error"
    assert failure.unexpected_count == 2
    assert failure.offending_ids == [2]


def test_a_null_user_id_fails_not_null_naming_the_event() -> None:
    events = clean_events()
    events["user_id"] = pd.array([10, None, 12, 10, 11], dtype="Int64")

    report = validate_events(events)

    failure = only_failure(report, "user_id", "expect_column_values_to_not_be_null")
    assert not report.passed
    assert failure.unexpected_count == 1
    assert failure.offending_ids == [2]
    assert len(report.failures) == 1, "a nullable Int64 user_id is still a BIGINT"


def test_an_unknown_event_type_fails_the_accepted_set() -> None:
    events = clean_events()
    events.loc[2, "event_type"] = "purchase"

    report = validate_events(events)

    failure = only_failure(report, "event_type", "expect_column_values_to_be_in_set")
    assert not report.passed
    assert failure.offending_ids == [3]
    assert failure.unexpected_percent == pytest.approx(20.0)


def test_events_outside_the_partition_day_fail_naming_them() -> None:
    events = clean_events()
    events["event_at"] = events["event_at"].astype("datetime64[us]")  # as DuckDB delivers it
    events.loc[0, "event_at"] = pd.Timestamp("2026-08-31 23:59:59")
    events.loc[4, "event_at"] = pd.Timestamp("2026-09-02 00:00:00")  # the next day's midnight
    contract = {e.name: e for e in suite("events", DAY, dt.datetime(2026, 9, 3))}

    report = validate(events, "events", list(contract.values()), "event_id")

    assert not report.passed
    assert [f.name for f in report.failures] == ["events.event_at is on 2026-09-01"]
    assert report.failures[0].offending_ids == [1, 5]
    assert events["event_at"].dtype == "datetime64[us]", "the caller's frame is left as it was"


def test_an_event_in_the_future_fails_even_inside_the_day() -> None:
    events = clean_events()
    events.loc[1, "event_at"] = pd.Timestamp("2026-09-01 21:00:00")  # NOW is 20:00

    report = validate_events(events)

    assert not report.passed
    assert [f.name for f in report.failures] == ["events.event_at is not in the future"]
    assert report.failures[0].offending_ids == [2]


def test_negative_dwell_fails_the_range_and_null_dwell_does_not() -> None:
    events = clean_events()
    events.loc[3, "dwell_seconds"] = -1.0

    report = validate_events(events)

    failure = only_failure(report, "dwell_seconds", "expect_column_values_to_be_between")
    assert failure.offending_ids == [4]
    assert failure.unexpected_count == 1
    assert failure.unexpected_percent == pytest.approx(25.0), "a percent of the non-null values"


def test_a_missing_column_fails_existence_without_other_noise() -> None:
    report = validate_events(clean_events().drop(columns=["post_id"]))

    assert not report.passed
    assert [f.name for f in report.failures] == ["events.post_id exists"]
    assert report.failures[0].expectation_type == "expect_column_to_exist"
    assert report.failures[0].error is None


def test_user_id_as_strings_fails_the_column_type_naming_the_rows() -> None:
    events = clean_events()
    events["user_id"] = events["user_id"].astype(str)

    report = validate_events(events)

    failure = only_failure(report, "user_id", "expect_column_values_to_be_in_type_list")
    assert not report.passed
    assert failure.name == "events.user_id is BIGINT"
    assert failure.offending_ids == [1, 2, 3, 4, 5]


def test_a_whole_float_column_where_a_bigint_is_contracted_fails_the_type() -> None:
    events = clean_events()
    events["post_id"] = events["post_id"].astype("float64")

    report = validate_events(events)

    failure = only_failure(report, "post_id", "expect_column_values_to_be_in_type_list")
    assert failure.offending_ids == []  # the dtype is wrong, not any one row


def test_a_warning_severity_failure_is_reported_but_does_not_block() -> None:
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "signup_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
            "country": ["DE", None, "FR"],
        }
    )

    report = validate(users, "users", suite("users"), "user_id")

    assert report.passed
    assert [(f.name, f.severity, f.offending_ids) for f in report.failures] == [
        ("users.country is not null", "warning", [2])
    ]
    assert "[warning] users.country is not null" in report.summary()


def test_results_are_matched_to_expectations_by_kwargs_not_order() -> None:
    events = clean_events()
    events.loc[0, "dwell_seconds"] = 100.0
    tight = Expectation(
        "events.dwell_seconds is at most 50", "expect_column_values_to_be_between",
        {"column": "dwell_seconds", "min_value": 0.0, "max_value": 50.0},
    )  # fmt: skip
    loose = Expectation(
        "events.dwell_seconds is at most 500", "expect_column_values_to_be_between",
        {"column": "dwell_seconds", "min_value": 0.0, "max_value": 500.0}, "warning",
    )  # fmt: skip

    report = validate(events, "events", [loose, tight], "event_id")

    assert [(f.name, f.offending_ids) for f in report.failures] == [
        ("events.dwell_seconds is at most 50", [1, 2])
    ]


@pytest.mark.parametrize(
    "table",
    ["users", "creators", "posts", "subscriptions", "marts.user_features"],
)
def test_every_table_has_a_contract_with_named_key_checks(table: str) -> None:
    names = [e.name for e in suite(table)]

    assert len(names) == len(set(names)), "names identify expectations"
    assert any(n.endswith(" is unique") for n in names)
    assert all(n.startswith(f"{table}.") for n in names)


def test_orphan_events_lower_referential_coverage_below_the_threshold() -> None:
    users = pd.DataFrame({"user_id": [10, 11, 12]})
    posts = pd.DataFrame({"post_id": [100, 101, 102]})
    events = clean_events()

    assert referential_coverage(events, users, posts) == 1.0
    assert coverage_ok(referential_coverage(events, users, posts))

    events.loc[0, "user_id"] = 99  # unknown user
    events.loc[1, "post_id"] = 999  # unknown post
    coverage = referential_coverage(events, users, posts)

    assert coverage == pytest.approx(0.6)
    assert not coverage_ok(coverage)
