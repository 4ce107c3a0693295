"""The data checks' cost beside the assets they check: `python -m bench.checks --scale large`.

Reuses what `python -m bench --stages generate,load,dbt` leaves in <data dir>/bench/<scale>/
(landing/, raw_loaded.duckdb, dbt_built.duckdb and dbt/run_results.json) and builds what is missing
with the same steps. Then, in one process whose heavy imports (GX, Evidently) are paid before any
timing, it times each asset's work beside its check's work, on the same data:
- raw/events, one day: `load_event_days` of that day vs `check_event_day` (read the day, the GX
  suite, referential coverage, volume), including the read of the known users and posts;
- each raw dimension table: `load_dimension_table` vs `check_table`;
- each feature mart: its dbt model's execution time (run_results.json) vs `check_table`;
- staging/stg_events: the whole dbt build vs feature_drift's work (read both windows, Evidently on
  samples of at most SAMPLE_ROWS rows, the HTML report; not the MLflow logging).
Each pair is timed --repeat times and the median kept. No assertion on time: the goal column says
whether the check costs at most GOAL_SHARE of its asset. Results go to <workdir>/checks.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.measure import measure_step
from recsys.settings import Settings

GOAL_SHARE = 0.10
MARTS = ("user_features", "creator_features", "post_features")
# A fixed "now" for the events suite, after every generated day: the check's verdict must not
# depend on when the bench runs.
NOW = dt.datetime(2030, 1, 1)


@dataclass(frozen=True)
class CheckCost:
    """One asset and its check, each timed on the same data (median of the repeats)."""

    asset: str
    asset_work: str
    asset_seconds: float
    check: str
    check_seconds: float
    rows: int

    @property
    def share(self) -> float:
        return self.check_seconds / self.asset_seconds

    @property
    def met(self) -> bool:
        return self.share <= GOAL_SHARE


def prepare(scale: str, workdir: Path) -> dict[str, float]:
    """Build the landing and the raw-loaded and dbt-built warehouses if missing (bench steps)."""
    from recsys.ingest.landing import complete_event_days

    landing, truth = workdir / "landing", workdir / "truth"
    raw, built, target = (
        workdir / "raw_loaded.duckdb",
        workdir / "dbt_built.duckdb",
        workdir / "dbt",
    )
    measured: dict[str, float] = {}
    if not complete_event_days(landing):
        step = measure_step("generate", "generate", scale, str(landing), str(truth))
        measured["generate"] = step.seconds
        raw.unlink(missing_ok=True)
    if not raw.exists():
        measured["raw load"] = measure_step("raw load", "load", str(landing), str(raw)).seconds
        built.unlink(missing_ok=True)
    if not built.exists() or not (target / "run_results.json").exists():
        measure_step("copy", "copy-file", str(raw), str(built))
        step = measure_step("dbt build", "dbt-build", str(built), str(target))
        measured["dbt build"] = step.seconds
    return measured


def dbt_build_seconds(workdir: Path, measured: dict[str, float]) -> tuple[float, str]:
    """The dbt build's time: this run's if it built, else the bench's results.json, else dbt's
    own record of the build that left dbt_built.duckdb."""
    if "dbt build" in measured:
        return measured["dbt build"], "measured by this run"
    results = workdir / "results.json"
    if results.exists():
        for pair in json.loads(results.read_text()):
            if pair["stage"]["name"] == "dbt build":
                return float(pair["stage"]["seconds"]), "results.json (python -m bench)"
    run_results = json.loads((workdir / "dbt" / "run_results.json").read_text())
    return float(run_results["elapsed_time"]), "dbt/run_results.json elapsed_time"


def model_seconds(workdir: Path) -> dict[str, float]:
    """Execution time of each dbt model in the build that made dbt_built.duckdb."""
    run_results = json.loads((workdir / "dbt" / "run_results.json").read_text())
    return {
        result["unique_id"].split(".")[-1]: float(result["execution_time"])
        for result in run_results["results"]
        if result["unique_id"].startswith("model.")
    }


def median_seconds(
    work: Callable[[], Any], repeat: int, setup: Callable[[], None] | None = None
) -> tuple[float, Any]:
    """Median wall time of `work` over `repeat` calls (each after an untimed `setup`), and the
    last call's result."""
    times, result = [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def warm_up(workdir: Path) -> dict[str, float]:
    """Pay the one-off costs of a run process (imports, first GX context, first report) up front."""
    import numpy as np
    import pandas as pd

    from recsys.monitoring.drift import drift_report
    from recsys.quality import suite, validate

    started = time.perf_counter()
    validate(pd.DataFrame({"user_id": [1, 2]}), "users", suite("users")[:2], "user_id")
    gx_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"dwell": rng.random(2_000), "kind": rng.choice(["a", "b"], 2_000)})
    drift_report(frame, frame, workdir / "checks" / "warm-up.html")
    return {
        "great_expectations import and first validate": gx_seconds,
        "evidently import and first report": time.perf_counter() - started,
    }


def event_day_cost(scratch: Path, landing: Path, day: dt.date, repeat: int) -> CheckCost:
    import duckdb

    from recsys.ingest.raw_loading import load_event_days
    from recsys.quality.checks import check_event_day, known_keys

    def forget_day() -> None:
        # Timed as a first delivery: the day is not in raw.events yet.
        with duckdb.connect(str(scratch)) as conn:
            conn.execute("DELETE FROM raw.events WHERE event_date = ?", [day])
            conn.execute("CHECKPOINT")

    def load() -> None:
        with duckdb.connect(str(scratch)) as conn:
            load_event_days(conn, landing, [day])

    def check() -> Any:
        with duckdb.connect(str(scratch), read_only=True) as conn:
            users, posts = known_keys(conn)
            return check_event_day(conn, day, NOW, users, posts)

    load_seconds, _ = median_seconds(load, repeat, setup=forget_day)
    check_seconds, verdict = median_seconds(check, repeat)
    if not verdict.passed:
        raise SystemExit(f"the events check failed on clean data: {verdict.problems}")
    cost = CheckCost(
        f"raw/events ({day})", "load_event_days", load_seconds,
        "data_contract", check_seconds, verdict.report.rows,
    )  # fmt: skip
    return progress(cost)


def dimension_costs(scratch: Path, landing: Path, repeat: int) -> list[CheckCost]:
    import duckdb

    from recsys.ingest.landing import DIMENSION_TABLES
    from recsys.ingest.raw_loading import load_dimension_table, raw_table_name
    from recsys.quality.checks import check_table

    costs = []
    for contract in DIMENSION_TABLES:

        def load(contract=contract) -> None:
            with duckdb.connect(str(scratch)) as conn:
                load_dimension_table(conn, contract, landing)

        def check(contract=contract) -> Any:
            with duckdb.connect(str(scratch), read_only=True) as conn:
                return check_table(conn, contract.name, raw_table_name(contract))

        load_seconds, _ = median_seconds(load, repeat)
        check_seconds, report = median_seconds(check, repeat)
        if not report.passed:
            raise SystemExit(report.summary())
        cost = CheckCost(
            f"raw/{contract.name}", "load_dimension_table", load_seconds,
            "data_contract", check_seconds, report.rows,
        )  # fmt: skip
        costs.append(progress(cost))
    return costs


def mart_costs(built: Path, models: dict[str, float], repeat: int) -> list[CheckCost]:
    import duckdb

    from recsys.quality.checks import check_table

    costs = []
    for mart in MARTS:

        def check(mart=mart) -> Any:
            with duckdb.connect(str(built), read_only=True) as conn:
                return check_table(conn, f"marts.{mart}", f"marts.{mart}")

        check_seconds, report = median_seconds(check, repeat)
        if not report.passed:
            raise SystemExit(report.summary())
        cost = CheckCost(
            f"marts/{mart}", "dbt model (run_results.json)", models[mart],
            "data_contract", check_seconds, report.rows,
        )  # fmt: skip
        costs.append(progress(cost))
    return costs


def drift_cost(built: Path, workdir: Path, dbt_seconds: float, repeat: int) -> CheckCost:
    """feature_drift's work as if the champion were trained through a week before the last event."""
    import duckdb

    from recsys.monitoring.drift import drift_report
    from recsys.monitoring.windows import CURRENT_DAYS, drift_windows, read_window
    from recsys.warehouse import latest_event_at

    with duckdb.connect(str(built), read_only=True) as conn:
        latest = latest_event_at(conn)
    windows = drift_windows(latest - dt.timedelta(days=CURRENT_DAYS), latest)
    assert windows is not None  # trained a week before the last event: there is a current week

    def check() -> tuple[int, Any]:
        with duckdb.connect(str(built), read_only=True) as conn:
            reference, reference_events = read_window(
                conn, windows.reference_start, windows.trained_through
            )
            current, current_events = read_window(conn, windows.current_start, windows.latest)
        report = workdir / "checks" / "drift.html"
        return reference_events + current_events, drift_report(reference, current, report)

    check_seconds, (rows, _) = median_seconds(check, repeat)
    cost = CheckCost(
        "staging/stg_events", "dbt build (all models and tests)", dbt_seconds,
        "feature_drift", check_seconds, rows,
    )  # fmt: skip
    return progress(cost)


def progress(cost: CheckCost) -> CheckCost:
    print(
        f"{cost.asset}: {cost.asset_work} {cost.asset_seconds:.2f} s, "
        f"{cost.check} {cost.check_seconds:.2f} s ({cost.share:.1%})",
        flush=True,
    )
    return cost


def report(costs: list[CheckCost]) -> str:
    header = (
        f"{'asset':<28}{'asset s':>9}  {'check':<14}{'check s':>9}{'share':>9}{'rows':>12}"
        f"   goal (<= {GOAL_SHARE:.0%})"
    )
    lines = [header, "-" * len(header)]
    for cost in costs:
        lines.append(
            f"{cost.asset:<28}{cost.asset_seconds:>9.2f}  {cost.check:<14}"
            f"{cost.check_seconds:>9.2f}{cost.share:>9.1%}{cost.rows:>12,}   "
            + ("met" if cost.met else "NOT met")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "demo", "large"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--day", type=dt.date.fromisoformat, help="events day (default: the last)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per measure (median)")
    args = parser.parse_args()
    workdir = (args.workdir or Settings.from_env().bench_dir / args.scale).resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    from recsys.ingest.landing import complete_event_days

    prepared = prepare(args.scale, workdir)
    dbt_seconds, dbt_source = dbt_build_seconds(workdir, prepared)
    landing = workdir / "landing"
    day = args.day or complete_event_days(landing)[-1]
    one_off = warm_up(workdir)
    # The loads replace tables, so they run on a scratch copy of the raw-loaded warehouse.
    scratch = workdir / "checks" / "scratch.duckdb"
    shutil.copyfile(workdir / "raw_loaded.duckdb", scratch)
    costs = [
        event_day_cost(scratch, landing, day, args.repeat),
        *dimension_costs(scratch, landing, args.repeat),
        *mart_costs(workdir / "dbt_built.duckdb", model_seconds(workdir), args.repeat),
        drift_cost(workdir / "dbt_built.duckdb", workdir, dbt_seconds, args.repeat),
    ]
    scratch.unlink()
    print(report(costs))
    print(f"dbt build: {dbt_seconds:.1f} s ({dbt_source}); one-off per run process: {one_off}")
    results = {
        "scale": args.scale,
        "day": day.isoformat(),
        "repeat": args.repeat,
        "goal_share": GOAL_SHARE,
        "dbt_build_seconds": dbt_seconds,
        "dbt_build_source": dbt_source,
        "prepared_now": prepared,
        "one_off_seconds": one_off,
        "costs": [{**asdict(cost), "share": cost.share, "met": cost.met} for cost in costs],
    }
    (workdir / "checks.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
