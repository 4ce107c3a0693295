"""Data-contract checks: the GX suites of recsys.quality on the raw tables and the feature marts.

Error-severity failures block what follows in the run; each failure's metadata names the table,
column, expectation, count and a few offending ids.
"""

import datetime as dt

import dagster as dg

from assets.raw import raw_dimension_assets, raw_events
from assets.support.guards import CHECKED_DAYS, FAILED_DAYS
from resources import Warehouse

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
    asset=raw_events,
    name="data_contract",
    blocking=True,
    description=(
        "Each loaded day of events against the events suite (keys, types, accepted event types, "
        "dwell range, timestamps inside the day and not in the future), the share of events whose "
        "user and post exist (>= 99%), and the day's volume against the trailing 7 days (0.5-2x)."
    ),
)
def events_contract(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    from recsys.quality.checks import check_event_day, known_keys, missing_key_tables

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    days = _run_days(context)
    problems: list[str] = []
    reports = []
    failed_days: list[dt.date] = []
    with warehouse.connect(read_only=True) as conn:
        if missing_key_tables(conn):
            problems.append(
                "raw.users and raw.posts must be loaded (job load_dimensions) before events can "
                "be checked for unknown users and posts"
            )
            return _events_result(problems, reports, days, days)
        users, posts = known_keys(conn)
        for day in days:
            verdict = check_event_day(conn, day, now, users, posts)
            reports.append(verdict.report)
            problems.extend(verdict.problems)
            if not verdict.passed:
                failed_days.append(day)
    return _events_result(problems, reports, days, failed_days)


def _events_result(
    problems: list[str], reports: list, checked: list[dt.date], failed: list[dt.date]
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            # Read back by the cross-run guard (assets/support/guards.py): days judged, days failed.
            CHECKED_DAYS: dg.MetadataValue.json([day.isoformat() for day in checked]),
            FAILED_DAYS: dg.MetadataValue.json([day.isoformat() for day in failed]),
            "days": len(reports),
            "rows": sum(report.rows for report in reports),
            "problems": dg.MetadataValue.md("```\n" + ("\n".join(problems) or "none") + "\n```"),
        },
    )


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
