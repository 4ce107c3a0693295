"""Materialize every asset: dimension tables, all landed days of events in one backfill run, then
everything built from them (the build_all job).

The backfill covers the first to the last complete day; days without a delivery in between are
gaps the ingest skips. Days before CREATOR_DISCOVERY_FIRST_EVENT_DAY are refused before anything
is loaded.

Usage: python -m scripts.materialize_all   (DAGSTER_HOME selects the instance that records the runs)
"""

from __future__ import annotations

import sys
import time

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from recsys.ingest.landing import complete_event_days, event_days
from recsys.settings import FIRST_EVENT_DAY_VAR, Settings

# Step-level DEBUG events (one per dbt test) would bury the progress lines of a demo run.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# What the summary shows of assets that are not tables (models, indexes).
HEADLINE_METADATA = (
    "model_version",
    "ndcg_at_10",
    "als_ndcg_at_10",
    "popularity_ndcg_at_10",
    "oracle_ndcg_at_10",
    "category_agreement_at_10",
    "items",
)


def _short(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def materialize_all(
    instance: dg.DagsterInstance, settings: Settings
) -> list[dg.ExecuteInProcessResult]:
    """Run the ingestion backfill and the refresh in-process; raise if either fails."""
    from definitions import build_definitions

    days = complete_event_days(settings.landing_dir)
    if not days:
        raise SystemExit(
            f"No complete day of events in {settings.landing_dir / 'events'}: generate data first "
            "(python -m recsys.datagen --scale demo)"
        )
    # Before anything is replaced: a run that would refuse later must not reload the dimensions.
    refuse_days_before_start(settings)
    definitions = build_definitions(settings)
    print("Loading the dimension tables", flush=True)
    dimensions = definitions.resolve_job_def("load_dimensions").execute_in_process(
        instance=instance, run_config=QUIET_LOGS
    )
    span = (days[-1] - days[0]).days + 1
    gaps = f", {span - len(days)} day(s) without delivery skipped" if span > len(days) else ""
    print(f"Ingesting {len(days)} day(s) of events: {days[0]} .. {days[-1]}{gaps}", flush=True)
    ingest = definitions.resolve_job_def("ingest_events").execute_in_process(
        instance=instance,
        run_config=QUIET_LOGS,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: days[0].isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: days[-1].isoformat(),
        },
    )
    print("Building everything downstream of the events", flush=True)
    refresh = definitions.resolve_job_def("build_all").execute_in_process(
        instance=instance, run_config=QUIET_LOGS
    )
    return [dimensions, ingest, refresh]


class HistoryBeforeStartError(SystemExit):
    """The landing zone holds days before the configured first day of events."""


def refuse_days_before_start(settings: Settings) -> None:
    """Raise, naming the setting and the earliest day, when the landing zone holds event days
    before CREATOR_DISCOVERY_FIRST_EVENT_DAY (unset, the partitions start at the earliest day)."""
    landed = event_days(settings.landing_dir)
    start = settings.event_partitions_start(landed)
    if landed and landed[0] < start:
        early = [day for day in landed if day < start]
        raise HistoryBeforeStartError(
            f"The landing zone {settings.landing_dir / 'events'} holds {len(early)} day(s) of "
            f"events before {FIRST_EVENT_DAY_VAR}={start.isoformat()}, the earliest "
            f"{landed[0].isoformat()}: set {FIRST_EVENT_DAY_VAR}={landed[0].isoformat()} (or "
            "unset it to start at the earliest day), or remove those days. Nothing was loaded."
        )


def _product_database(settings: Settings) -> str:
    from recsys.publish.export import mask_url

    return mask_url(settings.product_db_url)


def ranker_lines(
    latest: dict[str, dg.AssetMaterialization], checks: list[dg.AssetCheckEvaluation]
) -> list[str]:
    """The ranker's holdout nDCG@10 beside ALS alone's, its gate's verdict, and the order
    user_creators was written in."""
    ranker = latest.get("models/ranker")
    if ranker is None:
        return []
    figures = ranker.metadata
    if "ndcg_at_10" not in figures:
        return [f"Ranker: none trained ({figures['reason'].value})"]
    lines = [
        "Ranker vs ALS alone, holdout nDCG@10: "
        f"{figures['ndcg_at_10'].value:.4f} vs {figures['als_ndcg_at_10'].value:.4f}"
    ]
    gates = [check for check in checks if check.check_name == "ranker_quality_gate"]
    if gates:
        lines.append(f"  gate: {gates[-1].metadata['reason'].value}")
    table = latest.get("recommendations/user_creators")
    if table is not None and "order" in table.metadata:
        lines.append(f"  user_creators: {table.metadata['order'].value}")
    return lines


def summarize(results: list[dg.ExecuteInProcessResult], settings: Settings) -> str:
    latest: dict[str, dg.AssetMaterialization] = {}
    partitions: dict[str, int] = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            name = materialization.asset_key.to_user_string()
            latest[name] = materialization
            if materialization.partition is not None:
                partitions[name] = partitions.get(name, 0) + 1
    lines = ["", "Materialized:"]
    for name, materialization in latest.items():
        rows = materialization.metadata.get("dagster/row_count")
        if rows is not None:
            days = f"  ({partitions[name]} days)" if name in partitions else ""
            lines.append(f"  {name:<44}{rows.value:>12,} rows{days}")
            continue
        figures = [
            f"{key}={_short(materialization.metadata[key].value)}"
            for key in HEADLINE_METADATA
            if key in materialization.metadata
        ]
        lines.append(f"  {name:<44}{'  '.join(figures)}")
    checks = [
        evaluation for result in results for evaluation in result.get_asset_check_evaluations()
    ]
    failed = [check for check in checks if not check.passed]
    lines.append(f"Asset checks: {len(checks) - len(failed)} passed, {len(failed)} failed")
    # A failed WARN check blocks nothing but says why; name each so a reader can look it up.
    for check in failed:
        severity = "warning" if check.severity == dg.AssetCheckSeverity.WARN else "error"
        lines.append(f"  {severity}: {check.asset_key.to_user_string()}:{check.check_name}")
    lines.extend(ranker_lines(latest, checks))
    lines.append(f"Warehouse: {settings.warehouse_path}")
    lines.append(f"Landing zone: {settings.landing_dir}")
    lines.append(f"Analysts' snapshot: {settings.analytics_dir / 'current'} (`make sql`)")
    lines.append(f"Product database: {_product_database(settings)}")
    lines.append("Next: `make ui` (Dagster, :3000), `make mlflow` (MLflow, :5000), `make search`")
    return "\n".join(lines)


def main() -> int:
    settings = Settings.from_env()
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        results = materialize_all(instance, settings)
    print(summarize(results, settings))
    print(f"Done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
