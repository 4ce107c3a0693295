"""Which contract failures still stand across runs: the rule the daily refresh obeys."""

import datetime as dt

from recsys.quality.standing_failures import Verdict, standing_failures

DAY1, DAY2, DAY3 = (dt.date(2026, 9, d) for d in (1, 2, 3))


def verdict(passed: bool, *days: dt.date, run: str = "r") -> Verdict:
    return Verdict("raw/events:data_contract", passed, run, days)


def test_no_verdicts_means_nothing_stands() -> None:
    assert standing_failures([]) == []


def test_a_table_failure_stands_until_a_later_pass() -> None:
    failed = Verdict("raw/users:data_contract", False, "bad", summary="users.user_id is unique")

    assert [f.verdict for f in standing_failures([failed])] == [failed]
    assert standing_failures([Verdict("raw/users:data_contract", True, "good"), failed]) == []


def test_a_table_pass_does_not_hide_a_later_failure() -> None:
    failed = Verdict("raw/users:data_contract", False, "bad")

    assert len(standing_failures([failed, Verdict("raw/users:data_contract", True, "old")])) == 1


def test_a_failed_day_stands_until_a_later_pass_covers_it() -> None:
    newest_first = [verdict(True, DAY3, run="next day"), verdict(False, DAY1, DAY2, run="backfill")]

    [failure] = standing_failures(newest_first)

    assert failure.days == (DAY1, DAY2)
    assert failure.verdict.run_id == "backfill"


def test_re_ingesting_the_failed_days_clears_them() -> None:
    newest_first = [verdict(True, DAY2), verdict(True, DAY1), verdict(False, DAY1, DAY2)]

    assert standing_failures(newest_first) == []


def test_only_the_days_not_passed_since_stand() -> None:
    [failure] = standing_failures([verdict(True, DAY1), verdict(False, DAY1, DAY2)])

    assert failure.days == (DAY2,)


def test_an_older_failure_superseded_by_a_newer_failure_is_reported_once() -> None:
    newest_first = [verdict(False, DAY1, run="second"), verdict(False, DAY1, run="first")]

    [failure] = standing_failures(newest_first)

    assert failure.verdict.run_id == "second"
    assert "raw/events:data_contract failed on 2026-09-01 in run second" in failure.describe()


def test_only_the_days_a_failed_verdict_found_at_fault_stand() -> None:
    backfill = Verdict("raw/events:data_contract", False, "r", (DAY1, DAY2, DAY3), (DAY2,))

    [failure] = standing_failures([backfill])

    assert failure.days == (DAY2,)
