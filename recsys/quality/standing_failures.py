"""Which data-contract failures still stand, across runs.

A blocking check stops what follows in its own run. A later run (the daily refresh) must also refuse
to build on data that failed its contract, until the data is delivered again and passes. A failure
on a whole table stands until a later verdict on that table passes; a failure on days of events
stands for each day no later passing verdict covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One evaluation of a data-contract check.

    `days` is empty when it judged a whole table; `failed_days` are the days it found at fault
    (all of `days` when a failed verdict does not say).
    """

    check: str
    passed: bool
    run_id: str
    days: tuple[dt.date, ...] = ()
    failed_days: tuple[dt.date, ...] = ()
    summary: str = ""

    @property
    def faulty_days(self) -> tuple[dt.date, ...]:
        if self.passed:
            return ()
        return self.failed_days or self.days


@dataclass(frozen=True)
class StandingFailure:
    verdict: Verdict
    days: tuple[dt.date, ...]

    def describe(self) -> str:
        where = f" on {', '.join(day.isoformat() for day in self.days)}" if self.days else ""
        detail = f": {self.verdict.summary}" if self.verdict.summary else ""
        return f"{self.verdict.check} failed{where} in run {self.verdict.run_id}{detail}"


def standing_failures(newest_first: Iterable[Verdict]) -> list[StandingFailure]:
    """The failures of one check that no later verdict on the same table or day superseded."""
    decided: set[dt.date] = set()
    standing: list[StandingFailure] = []
    for verdict in newest_first:
        if not verdict.days:
            if not verdict.passed:
                standing.append(StandingFailure(verdict, ()))
            break
        undecided = tuple(day for day in verdict.faulty_days if day not in decided)
        if undecided:
            standing.append(StandingFailure(verdict, undecided))
        decided.update(verdict.days)
    return standing
