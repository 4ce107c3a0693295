"""The drift scenario, end to end on one Dagster instance.

Normal days train a champion; the later days arrive, some of them drifted, and are refreshed on:
- engagement: readers start skimming (more views, shorter dwell), which fails feature_drift;
- topic_shift: readers swap tastes while the overall topic mix stays put, which feature_drift
  misses and taste_drift (each reader's topic mix against their mix at training time) catches;
  what was served each day is judged against what readers read that day (served quality);
- none: the same days undrifted, the control: no check fails, nothing is retrained.
The retrain sensor requests one retrain for the failed evaluations; the retrain ends with a new
champion or the gate's reasons for keeping the old one.

Usage: python -m scripts.drift_demo [--drift topic_shift] [--scale small] [--seed 7]
           [--trained-days 14] [--normal-days 17]
It plays in <data dir>/drift_demo, emptied first, with a Dagster instance there (dagster_home/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from recsys.datagen import DEFAULT_START, SCALES, generate_platform
from recsys.settings import DATA_DIR_VAR, Settings
from scripts.materialize_all import QUIET_LOGS

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
NO_DRIFT = "none"
DRIFT_CHOICES = ("engagement", "topic_shift", NO_DRIFT)


@dataclass(frozen=True)
class ScenarioResult:
    drift_check: dg.AssetCheckEvaluation
    requested_runs: int
    requests_on_next_tick: int
    retrain: dg.ExecuteInProcessResult | None
    gate: dg.AssetCheckEvaluation | None
    champion_before: int | None
    champion_after: int | None
    taste_check: dg.AssetCheckEvaluation | None = None
    served_checks: dict[dt.date, dg.AssetCheckEvaluation] = field(default_factory=dict)
    served_quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    failed_evaluations: str = ""

    @property
    def served_check_failures(self) -> list[dt.date]:
        return sorted(day for day, check in self.served_checks.items() if not check.passed)


def run_scenario(
    instance: dg.DagsterInstance,
    settings: Settings,
    scale: str,
    seed: int,
    normal_days: int,
    drift: str = "engagement",
    trained_days: int | None = None,
    score_served: bool = False,
) -> ScenarioResult:
    """Train on the first `trained_days` (default: every normal day), then let every later day
    arrive and refresh on them; with `score_served`, judge the lists the first build served on each
    day after training (normal days first when `trained_days` < `normal_days`: the band's trailing
    days); tick the sensor twice and run the retrain it requests."""
    from definitions import build_definitions
    from recsys.models.tracking import champion
    from sensors.drift import drift_retrain_sensor

    trained_days = normal_days if trained_days is None else trained_days
    if not 0 < trained_days <= normal_days:
        raise ValueError(f"train on 1 to {normal_days} days, not {trained_days}")
    last_day = DEFAULT_START + dt.timedelta(days=SCALES[scale].n_days - 1)
    trained_until = DEFAULT_START + dt.timedelta(days=trained_days - 1)
    drift_from = DEFAULT_START + dt.timedelta(days=normal_days)
    shutil.rmtree(settings.landing_dir, ignore_errors=True)
    # Engagement drift (more skimming: views up, dwell halved) moves the event features' marginals;
    # a topic_shift permutes each reader's tastes and can leave the overall topic mix unchanged.
    # drift "none" plays the same days undrifted: the control run of the scenario.
    generate_platform(
        settings.landing_dir,
        settings.truth_dir,
        scale,
        seed,
        drift_from=None if drift == NO_DRIFT else drift_from,
        **({} if drift == NO_DRIFT else {"drift": drift}),
    )
    definitions = build_definitions(settings)

    def run(job: str, **kwargs) -> dg.ExecuteInProcessResult:
        print(f"-- {job} {kwargs.get('tags', '')}{kwargs.get('partition_key', '')}", flush=True)
        return definitions.resolve_job_def(job).execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False, **kwargs
        )

    def ingest(first: dt.date, last: dt.date) -> None:
        tags = {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}
        if not run("ingest_events", tags=tags).success:
            raise SystemExit(f"ingesting {first} .. {last} failed")

    tracking = settings.mlflow_tracking
    if not run("load_dimensions").success:
        raise SystemExit("loading the dimension tables failed")
    ingest(DEFAULT_START, trained_until)
    if not run("build_all").success:
        raise SystemExit("the first build (normal days) failed")
    before = champion(tracking, "creator-discovery-als")
    # The first build's tables serve every later day until the refresh below: its lists are what
    # readers saw, normal days and drifted ones alike.
    ingest(trained_until + dt.timedelta(days=1), last_day)
    refresh = run("refresh")
    checks = {check.check_name: check for check in refresh.get_asset_check_evaluations()}
    served_checks = (
        _score_served(run, trained_until + dt.timedelta(days=1), last_day) if score_served else {}
    )

    first_tick = drift_retrain_sensor(dg.build_sensor_context(instance=instance))
    requests = list(getattr(first_tick, "run_requests", None) or [])
    cursor = getattr(first_tick, "cursor", None)
    second_tick = drift_retrain_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    again = list(getattr(second_tick, "run_requests", None) or [])
    retrain = run("retrain", tags=requests[0].tags) if requests else None
    gates = [
        check
        for check in (retrain.get_asset_check_evaluations() if retrain else [])
        if check.check_name == "als_quality_gate"
    ]
    after = champion(tracking, "creator-discovery-als")
    return ScenarioResult(
        drift_check=checks["feature_drift"],
        requested_runs=len(requests),
        requests_on_next_tick=len(again),
        retrain=retrain,
        gate=gates[0] if gates else None,
        champion_before=before.version if before else None,
        champion_after=after.version if after else None,
        taste_check=checks.get("taste_drift"),
        served_checks=served_checks,
        served_quality=_served_quality(settings) if score_served else pd.DataFrame(),
        failed_evaluations=requests[0].tags.get("failed_evaluations", "") if requests else "",
    )


def _score_served(run, first: dt.date, last: dt.date) -> dict[dt.date, dg.AssetCheckEvaluation]:
    """Each day's served lists judged, oldest first, as the daily schedule would: its band check."""
    checks = {}
    day = first
    while day <= last:
        result = run("score_served", partition_key=day.isoformat())
        if not result.success:
            raise SystemExit(f"scoring the lists served on {day} failed")
        [band] = [c for c in result.get_asset_check_evaluations() if c.check_name.endswith("band")]
        checks[day] = band
        day += dt.timedelta(days=1)
    return checks


def _served_quality(settings: Settings) -> pd.DataFrame:
    from recsys.monitoring.served_quality import quality_history
    from recsys.warehouse import connect

    with connect(settings.warehouse_path, read_only=True) as conn:
        return quality_history(conn)


def describe(result: ScenarioResult) -> str:
    meta = result.drift_check.metadata
    lines = [
        "",
        f"Feature drift passed: {result.drift_check.passed}; drifted columns: "
        f"{meta['drifted_columns'].value if 'drifted_columns' in meta else 'n/a'}; "
        f"drift share: {meta['drift_share'].value if 'drift_share' in meta else 'n/a'}",
        f"Report: {meta['report'].value if 'report' in meta else 'n/a'}",
    ]
    if result.taste_check is not None:
        taste = result.taste_check.metadata
        verdict = taste["reason"].value if "reason" in taste else taste["skipped"].value
        lines.append(f"Taste drift passed: {result.taste_check.passed}; {verdict}")
    if not result.served_quality.empty:
        lines += ["", "Served quality (nDCG@10 of what was served, popularity's beside it):"]
        lines += _served_table(result)
    lines += [
        "",
        f"Retrain runs requested by the drift sensor: {result.requested_runs} "
        f"(next tick: {result.requests_on_next_tick})"
        + (f"; failed evaluations: {result.failed_evaluations}" if result.requested_runs else ""),
    ]
    if result.gate is not None:
        verdict = "passed" if result.gate.passed else "blocked the new version"
        lines.append(f"Quality gate {verdict}:")
        lines.append("  " + result.gate.metadata["reasons"].value.replace("\n", "\n  "))
    lines.append(f"Champion version: {result.champion_before} -> {result.champion_after}")
    return "\n".join(lines)


def _served_table(result: ScenarioResult) -> list[str]:
    quality = result.served_quality
    tables = sorted(quality["table_name"].unique())
    header = "  day         served on   " + "".join(f"{table:>34}" for table in tables) + "  band"
    lines = [header]
    for day, rows in quality.groupby(pd.to_datetime(quality["day"]).dt.date):
        figures = rows.set_index("table_name")
        cells = "".join(
            f"{figures.loc[t, 'ndcg']:>18.3f} (pop {figures.loc[t, 'popularity_ndcg']:.3f})"
            if t in figures.index
            else f"{'':>34}"
            for t in tables
        )
        check = result.served_checks.get(day)
        band = "n/a" if check is None else "ok"
        if check is not None and not check.passed:
            band = f"below: {check.metadata['tables_below_band'].value}"
        served_on = pd.Timestamp(figures["served_on"].iloc[0]).date()
        lines.append(f"  {day}  {served_on}  {cells}  {band}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--trained-days", type=int, default=14, help="days the first champion is trained on"
    )
    parser.add_argument(
        "--normal-days",
        type=int,
        default=17,
        help="days before the drift; those after training are served and judged undrifted",
    )
    parser.add_argument(
        "--drift",
        default="engagement",
        choices=DRIFT_CHOICES,
        help="what changes after --normal-days; 'none' replays the days undrifted",
    )
    args = parser.parse_args()
    # A data folder and an instance of its own, so the scenario never touches the demo's data or
    # runs (nor a product database configured in the environment).
    settings = Settings.from_env({DATA_DIR_VAR: str(Settings.from_env().drift_demo_dir)})
    # Every run starts afresh: a champion, served lists or check failures of an earlier scenario
    # would otherwise be judged with this one's.
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    home = settings.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    print(f"Drift scenario in {settings.data_dir}", flush=True)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = run_scenario(
            instance,
            settings,
            args.scale,
            args.seed,
            args.normal_days,
            args.drift,
            trained_days=args.trained_days,
            score_served=True,
        )
    print(describe(result))


if __name__ == "__main__":
    main()
