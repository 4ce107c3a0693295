"""Cross-run guards: nothing is built on, or exported from, data whose checks failed earlier.

A blocking check only stops what follows in its own run. The daily refresh runs later, in another
run, on whatever raw data the ingestion left, so the dbt build first reads the contract verdicts
recorded on the instance and refuses while a failure stands (recsys/quality/standing_failures.py).
"""

import datetime as dt

import dagster as dg

from recsys.quality.standing_failures import StandingFailure, Verdict, standing_failures

CONTRACT_CHECK = "data_contract"
CHECKED_DAYS = "checked_days"
FAILED_DAYS = "failed_days"
# Enough history to see past the days a failed backfill covered; older verdicts were superseded.
HISTORY = 200
JUDGED = {"SUCCEEDED", "FAILED"}


def raw_contract_keys(checks: list[dg.AssetChecksDefinition]) -> list[dg.AssetCheckKey]:
    return [
        key
        for definition in checks
        for key in definition.check_keys
        if key.name == CONTRACT_CHECK and key.asset_key.path[0] == "raw"
    ]


def all_check_keys(checks: list[dg.AssetChecksDefinition]) -> list[dg.AssetCheckKey]:
    return [key for definition in checks for key in definition.check_keys]


def _verdict(record) -> Verdict | None:
    # The status enum is not public API; its value is the stable, documented string.
    if record.status.value not in JUDGED or record.event is None:
        return None
    evaluation = record.event.asset_check_evaluation
    summary = evaluation.metadata.get("problems") or evaluation.metadata.get("summary")
    # A warning (the volume rule in warn mode) was seen, and blocks nothing later either.
    warned = evaluation.severity == dg.AssetCheckSeverity.WARN
    return Verdict(
        check=record.key.to_user_string(),
        passed=evaluation.passed or warned,
        run_id=record.run_id,
        days=_days(evaluation.metadata.get(CHECKED_DAYS)),
        failed_days=_days(evaluation.metadata.get(FAILED_DAYS)),
        summary=_gist(summary.value) if summary else "",
    )


def _days(value) -> tuple[dt.date, ...]:
    return tuple(dt.date.fromisoformat(day) for day in value.value) if value else ()


def _gist(markdown: str, lines: int = 2) -> str:
    """The first lines of a check's report: the verdict, then the first expectation that failed."""
    kept = [line.strip() for line in markdown.splitlines() if line.strip()]
    return "; ".join([line for line in kept if not line.startswith("```")][:lines])


def standing_check_failures(
    instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey]
) -> list[StandingFailure]:
    failures: list[StandingFailure] = []
    for key in keys:
        records = instance.event_log_storage.get_asset_check_execution_history(key, limit=HISTORY)
        verdicts = [verdict for verdict in map(_verdict, records) if verdict is not None]
        failures.extend(standing_failures(verdicts))
    return failures


def refuse_on_failed_contracts(instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey]) -> None:
    """Raise a Failure naming each standing contract failure, and how to clear it."""
    _refuse(
        standing_check_failures(instance, keys),
        "Refusing to build on raw data that failed its data contract in an earlier run",
        "Deliver the data again and re-run its load (ingest_events for those days, "
        "load_dimensions for a table); a passing verdict clears the failure.",
    )


def refuse_on_failed_checks(
    instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey], action: str, remedy: str
) -> None:
    """Raise a Failure when the latest verdict of any of these checks is a failure."""
    _refuse(standing_check_failures(instance, keys), f"Refusing to {action}", remedy)


def _refuse(failures: list[StandingFailure], headline: str, remedy: str) -> None:
    if not failures:
        return
    listed = "\n".join(f"- {failure.describe()}" for failure in failures)
    raise dg.Failure(
        description=f"{headline}:\n{listed}\n{remedy}",
        metadata={"standing_failures": dg.MetadataValue.md(listed)},
        allow_retries=False,
    )
