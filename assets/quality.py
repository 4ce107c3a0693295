"""Data-contract checks: the GX suites of recsys.quality on the raw tables and the feature marts.

Error-severity failures block what follows in the run; each failure's metadata names the table,
column, expectation, count and a few offending ids. The events' volume rule warns or blocks by
setting (resources.History, recsys/quality/volume.py).
"""

import datetime as dt

import dagster as dg

from assets.raw import raw_dimension_assets
from assets.support.constants import RAW_EVENTS
from assets.support.guards import CHECKED_DAYS, FAILED_DAYS
from recsys.ingest.landing import day_folder
from resources import History, LandingZone, Warehouse

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PARTITION = "dagster/partition"


def _result(report, extra: dict | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "summary": dg.MetadataValue.md(f"```\n{report.summary()}\n```"),
            "rows": report.rows,
            "expectations": report.evaluated,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            **(extra or {}),
        },
    )


def _table_contract_check(asset_key: dg.AssetKey, table: str, warehouse_table: str):
    @dg.asset_check(
        asset=asset_key,
        name="data_contract",
        blocking=True,
        description=f"The {table} suite of recsys/quality/contract.py (Great Expectations).",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        from recsys.quality.checks import check_table

        with warehouse.connect(read_only=True) as conn:
            report = check_table(conn, table, warehouse_table)
        return _result(report)

    return _check


def _run_days(context: dg.AssetCheckExecutionContext) -> list[dt.date]:
    """The days of events the run loaded: its partition, or its backfill's range."""
    from recsys.quality.checks import days_in_range

    tags = context.run.tags
    return days_in_range(
        tags.get(PARTITION) or tags.get(RANGE_START), tags.get(PARTITION) or tags.get(RANGE_END)
    )


@dg.asset_check(
    asset=RAW_EVENTS,
    name="data_contract",
    blocking=True,
    description=(
        "Each loaded day of events against the events suite (keys, types, accepted event types, "
        "dwell range, timestamps inside the day and not in the future), the share of events whose "
        "user and post exist (>= 99%), and the day's volume against its trailing delivered days "
        "(a band set by CREATOR_DISCOVERY_VOLUME_*; warns or blocks by "
        "CREATOR_DISCOVERY_VOLUME_MODE). Days without delivery are gaps, not judged."
    ),
)
def events_contract(
    context: dg.AssetCheckExecutionContext,
    warehouse: Warehouse,
    landing_zone: LandingZone,
    history: History,
):
    from recsys.quality.checks import check_event_day, known_keys, missing_key_tables
    from recsys.quality.volume import missing_day_problem

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rule = history.volume_rule()
    days = _run_days(context)
    verdict = _EventsVerdict(days, rule.describe())
    with warehouse.connect(read_only=True) as conn:
        if missing_key_tables(conn):
            verdict.problems.append(
                "raw.users and raw.posts must be loaded (job load_dimensions) before events can "
                "be checked for unknown users and posts"
            )
            verdict.failed = list(days)
            return verdict.result()
        users, posts = known_keys(conn)
        for day in days:
            if not day_folder(landing_zone.root, day).exists():
                verdict.gaps.append(day)
                problem = missing_day_problem(day.isoformat(), rule)
                if problem:
                    verdict.problems.append(problem)
                    verdict.failed.append(day)
                continue
            checked = check_event_day(conn, day, now, users, posts, rule)
            verdict.rows += checked.report.rows
            verdict.judged += 1
            verdict.problems.extend(checked.problems)
            verdict.warnings.extend(checked.warnings)
            if not checked.passed:
                verdict.failed.append(day)
    return verdict.result()


class _EventsVerdict:
    """What the events contract found over a run's days: blocking problems, warnings, gaps."""

    def __init__(self, days: list[dt.date], volume_rule: str) -> None:
        self.days = days
        self.volume_rule = volume_rule
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.failed: list[dt.date] = []
        self.gaps: list[dt.date] = []
        self.rows = 0
        self.judged = 0

    def result(self) -> dg.AssetCheckResult:
        # A warning alone fails the check at WARN severity: it shows, and blocks nothing.
        blocking = bool(self.problems)
        return dg.AssetCheckResult(
            passed=not (self.problems or self.warnings),
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                # Read back by the cross-run guard (assets/support/guards.py): days judged, days
                # failed (a warning is not a failure).
                CHECKED_DAYS: dg.MetadataValue.json([day.isoformat() for day in self.days]),
                FAILED_DAYS: dg.MetadataValue.json([day.isoformat() for day in self.failed]),
                "days": self.judged,
                "days_without_delivery": dg.MetadataValue.json(
                    [day.isoformat() for day in self.gaps]
                ),
                "rows": self.rows,
                "problems": _block(self.problems),
                "warnings": _block(self.warnings),
                "volume_rule": self.volume_rule,
            },
        )


def _block(lines: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("```\n" + ("\n".join(lines) or "none") + "\n```")


contract_checks = [
    *(
        _table_contract_check(asset.key, asset.key.path[-1], ".".join(asset.key.path))
        for asset in raw_dimension_assets
    ),
    events_contract,
    *(
        _table_contract_check(dg.AssetKey(["marts", name]), f"marts.{name}", f"marts.{name}")
        for name in ("user_features", "creator_features", "post_features")
    ),
]
