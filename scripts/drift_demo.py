"""The drift scenario, end to end on one Dagster instance.

Normal days train a champion; drifted days (readers start skimming: more views, shorter dwell)
fail the feature_drift check; the drift sensor requests one retrain; the retrain ends with a new
champion or the gate's reasons for keeping the old one.

Usage: python -m scripts.drift_demo [--scale small] [--seed 7] [--normal-days 14]
It plays in <data dir>/drift_demo with a Dagster instance there (dagster_home/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from dataclasses import dataclass

import dagster as dg

from recsys.datagen import DEFAULT_START, SCALES, generate_platform
from recsys.settings import DATA_DIR_VAR, Settings
from scripts.materialize_all import QUIET_LOGS

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
NO_DRIFT = "none"


@dataclass(frozen=True)
class ScenarioResult:
    drift_check: dg.AssetCheckEvaluation
    requested_runs: int
    requests_on_next_tick: int
    retrain: dg.ExecuteInProcessResult | None
    gate: dg.AssetCheckEvaluation | None
    champion_before: int | None
    champion_after: int | None


def run_scenario(
    instance: dg.DagsterInstance,
    settings: Settings,
    scale: str,
    seed: int,
    normal_days: int,
    drift: str = "engagement",
) -> ScenarioResult:
    from definitions import build_definitions
    from recsys.models.tracking import TrackingConfig, champion
    from sensors.drift import drift_retrain_sensor

    last_day = DEFAULT_START + dt.timedelta(days=SCALES[scale].n_days - 1)
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
        print(f"-- {job} {kwargs.get('tags', '')}", flush=True)
        return definitions.resolve_job_def(job).execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False, **kwargs
        )

    def ingest(first: dt.date, last: dt.date) -> None:
        tags = {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}
        if not run("ingest_events", tags=tags).success:
            raise SystemExit(f"ingesting {first} .. {last} failed")

    tracking = TrackingConfig.local(settings.mlflow_dir)
    if not run("load_dimensions").success:
        raise SystemExit("loading the dimension tables failed")
    ingest(DEFAULT_START, drift_from - dt.timedelta(days=1))
    if not run("build_all").success:
        raise SystemExit("the first build (normal days) failed")
    before = champion(tracking, "creator-discovery-als")
    ingest(drift_from, last_day)
    refresh = run("refresh")
    [drift] = [c for c in refresh.get_asset_check_evaluations() if c.check_name == "feature_drift"]

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
        drift_check=drift,
        requested_runs=len(requests),
        requests_on_next_tick=len(again),
        retrain=retrain,
        gate=gates[0] if gates else None,
        champion_before=before.version if before else None,
        champion_after=after.version if after else None,
    )


def describe(result: ScenarioResult) -> str:
    meta = result.drift_check.metadata
    lines = [
        "",
        f"Drift check passed: {result.drift_check.passed}; drifted columns: "
        f"{meta['drifted_columns'].value if 'drifted_columns' in meta else 'n/a'}; "
        f"drift share: {meta['drift_share'].value if 'drift_share' in meta else 'n/a'}",
        f"Report: {meta['report'].value if 'report' in meta else 'n/a'}",
        f"Retrain runs requested by the drift sensor: {result.requested_runs} "
        f"(next tick: {result.requests_on_next_tick})",
    ]
    if result.gate is not None:
        verdict = "passed" if result.gate.passed else "blocked the new version"
        lines.append(f"Quality gate {verdict}:")
        lines.append("  " + result.gate.metadata["reasons"].value.replace("\n", "\n  "))
    lines.append(f"Champion version: {result.champion_before} -> {result.champion_after}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--normal-days", type=int, default=14)
    parser.add_argument(
        "--drift",
        default="engagement",
        choices=["engagement", "topic_shift", NO_DRIFT],
        help="what changes from day --normal-days on; 'none' replays the days undrifted",
    )
    args = parser.parse_args()
    # A data folder and an instance of its own, so the scenario never touches the demo's data or
    # runs (nor a product database configured in the environment).
    settings = Settings.from_env({DATA_DIR_VAR: str(Settings.from_env().drift_demo_dir)})
    home = settings.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    print(f"Drift scenario in {settings.data_dir}", flush=True)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = run_scenario(
            instance, settings, args.scale, args.seed, args.normal_days, args.drift
        )
    print(describe(result))


if __name__ == "__main__":
    main()
