"""The whole pipeline as users run it: `make bench-e2e` (python -m bench.e2e --scale large).

Generates the platform into <data dir>/bench/e2e-<scale>/landing if it is missing (not timed), then
runs `make materialize` on it from a fresh warehouse, MLflow store and Dagster instance, sampling
the resident memory of the whole process tree (make, uv, the materialize process, dbt and every
child) every SAMPLE_SECONDS. Per-step wall times come from the Dagster instance's step events.
In the same run it measures the bare baselines of the stages that have one (bench.steps: bare
CTAS, dbt's compiled SQL on bare DuckDB, bare implicit fits, implicit recommend) and those of our
own stages that are the library call itself (content fit, Annoy build), and writes one block per
scale to docs/benchmarks.md: a row beginning `| end to end |` and the per-step times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Measurement, measure_step
from recsys.settings import DATA_DIR_VAR, child_env

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
SAMPLE_SECONDS = 0.25
# The last run's total seconds, kept in the workdir for the next run's estimate of time left.
LAST_RUN = "last_run_seconds.txt"
# What the materialize run writes under its data dir: removed before each run so that nothing
# (a tracked fingerprint, a loaded day) is reused. landing/, truth/ and baselines/ stay.
RUN_OUTPUTS = (
    "warehouse.duckdb",
    "warehouse.duckdb.wal",
    "warehouse.duckdb.tmp",
    "dagster_home",
    "mlflow",
    "models",
    "analytics",
    "product.db",
)


@dataclass(frozen=True)
class EndToEnd:
    """One `make materialize`: wall seconds, the process tree's peak RSS, seconds per step."""

    seconds: float
    peak_mb: float
    steps: dict[str, float]


def tree_rss_bytes(root: int, proc: Path = Path("/proc")) -> int:
    """Resident bytes of process `root` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            resident = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended between listing and reading
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = resident * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class TreeMonitor:
    """Samples tree_rss_bytes(pid) on a thread until stopped; keeps the peak. With `report`, it
    also says every `report_every` seconds how long the tree has run and its memory, and how
    much longer it should take if `expected` (seconds, e.g. the last run's) is known."""

    def __init__(
        self,
        pid: int,
        interval: float = SAMPLE_SECONDS,
        report: Callable[[str], None] | None = None,
        report_every: float = 60.0,
        expected: float | None = None,
    ) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self.report, self.report_every, self.expected = report, report_every, expected
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = last = time.perf_counter()
        while not self._stop.is_set():
            now_bytes = tree_rss_bytes(self.pid)
            self.peak = max(self.peak, now_bytes)
            now = time.perf_counter()
            if self.report is not None and now - last >= self.report_every:
                last = now
                line = f"[bench-e2e] {now - started:.0f} s in, process tree "
                line += f"{now_bytes / 2**20:,.0f} MB (peak {self.peak / 2**20:,.0f} MB)"
                if self.expected is not None:
                    line += f", about {max(self.expected - (now - started), 0):.0f} s left"
                    line += " at the last run's pace"
                self.report(line)
            self._stop.wait(self.interval)


def step_seconds(events: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """Seconds per step key from (step key, event type, timestamp) events over one or more runs:
    each STEP_START to the next STEP_SUCCESS or STEP_FAILURE of the same key, summed per key."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for key, kind, timestamp in sorted(events, key=lambda event: event[2]):
        if kind == "STEP_START":
            started[key] = timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and key in started:
            seconds[key] = seconds.get(key, 0.0) + timestamp - started.pop(key)
    return seconds


def instance_step_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds per step of every run recorded in the Dagster instance at `dagster_home`."""
    import dagster as dg

    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        events = [
            (entry.step_key, entry.dagster_event.event_type_value, entry.timestamp)
            for run in instance.get_runs()
            for entry in instance.all_logs(run.run_id, of_type=kinds)
            if entry.step_key is not None and entry.dagster_event is not None
        ]
    return step_seconds(events)


def materialize(workdir: Path, expected: float | None = None) -> EndToEnd:
    """`make materialize` with the data dir and Dagster home inside `workdir`, from scratch;
    progress lines every minute (with the time left if `expected` seconds are known)."""
    for name in RUN_OUTPUTS:
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    home = workdir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = child_env() | {DATA_DIR_VAR: str(workdir), "DAGSTER_HOME": str(home)}
    started = time.perf_counter()
    process = subprocess.Popen(["make", "--no-print-directory", "materialize"], cwd=REPO, env=env)
    with TreeMonitor(process.pid, report=_say, expected=expected) as monitor:
        code = process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"make materialize failed with exit code {code}")
    steps = instance_step_seconds(home)
    return EndToEnd(seconds, monitor.peak / 2**20, steps)


def _say(line: str) -> None:
    print(line, flush=True)


def last_seconds(workdir: Path) -> float | None:
    """The total seconds of the last run in this workdir (LAST_RUN), if any."""
    try:
        return float((workdir / LAST_RUN).read_text())
    except (OSError, ValueError):
        return None


def baselines(workdir: Path) -> list[Measurement]:
    """The bare library doing each stage's core work on the same data, in this run: what the
    pipeline would cost with no orchestration, checks, tracking or evaluation around it."""
    landing, base = workdir / "landing", workdir / "baselines"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    built, target = base / "bare_built.duckdb", base / "dbt_compile"
    # The materialized warehouse holds the contract-typed raw tables dbt's SQL reads.
    measure_step("copy", "copy-file", str(workdir / "warehouse.duckdb"), str(built))
    measure_step("dbt compile", "dbt-compile", str(built), str(target))
    measured = [
        measure_step("bare CTAS load", "load-bare", str(landing), str(base / "bare.duckdb")),
        measure_step("bare DuckDB SQL", "bare-sql", str(built), str(target / "manifest.json")),
    ]
    measure_step("matrix", "als-prep", str(built), str(base))
    fit = measure_step("bare implicit fit", "als-fit-bare", str(base))
    # Two fits run in the pipeline (the holdout twin and the serving fit); factors for recommend.
    measure_step("ALS fit (factors)", "als-fit", str(base))
    measured += [fit, fit]
    measured.append(measure_step("implicit recommend", "recommend-bare", str(base)))
    measured.append(measure_step("content fit", "content-fit", str(landing), str(base)))
    measured.append(measure_step("annoy build", "index-build", str(base)))
    return measured


def ensure_landing(scale: str, workdir: Path) -> float | None:
    """Generate the platform into workdir/landing unless it holds complete days; its seconds."""
    from recsys.ingest.landing import complete_event_days

    if complete_event_days(workdir / "landing"):
        return None
    step = measure_step(
        "generate", "generate", scale, str(workdir / "landing"), str(workdir / "truth")
    )
    return step.seconds


def markdown_block(
    scale: str, run: EndToEnd, bare: list[Measurement], day: dt.date, top: int = 12
) -> str:
    """The docs block of one scale: the `| end to end |` row, baselines and the slowest steps."""
    bare_total = sum(measurement.seconds for measurement in bare)
    ratio = run.seconds / bare_total if bare_total else float("nan")
    stepped = sum(run.steps.values())
    lines = [
        f"<!-- e2e:{scale}:start -->",
        f"`make bench-e2e BENCH_SCALE={scale}`, measured {day.isoformat()}:",
        "",
        "| | total seconds | peak MB (process tree) | sum of bare baselines, s | ratio "
        "| steps, s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| end to end | {run.seconds:.1f} | {run.peak_mb:,.0f} | {bare_total:.1f} | "
        f"{ratio:.2f} | {stepped:.1f} |",
        "",
        "Bare baselines (same run): "
        + ", ".join(f"{m.name} {m.seconds:.1f} s" for m in bare)
        + ".",
        "",
        "| step (Dagster step events) | seconds |",
        "|---|---:|",
    ]
    slowest = sorted(run.steps.items(), key=lambda item: -item[1])
    lines += [f"| {key} | {seconds:.1f} |" for key, seconds in slowest[:top]]
    rest = slowest[top:]
    if rest:
        lines.append(f"| {len(rest)} other steps | {sum(s for _, s in rest):.1f} |")
    lines.append(f"<!-- e2e:{scale}:end -->")
    return "\n".join(lines)


def replace_block(document: str, scale: str, block: str, heading: str) -> str:
    """`document` with the block of `scale` replaced, or else placed right under `heading`
    (appended with it at the end when the heading is missing)."""
    start, end = f"<!-- e2e:{scale}:start -->", f"<!-- e2e:{scale}:end -->"
    if start in document and end in document:
        before, rest = document.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    if heading not in document:
        return f"{document.rstrip()}\n\n{heading}\n\n{block}\n"
    before, after = document.split(heading, 1)
    return f"{before}{heading}\n\n{block}\n{after}"


HEADING = "## End to end (`make bench-e2e`)"


def main() -> None:
    from recsys.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "demo", "large"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    workdir = (args.workdir or Settings.from_env().bench_dir / f"e2e-{args.scale}").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    generated = ensure_landing(args.scale, workdir)
    if generated is not None:
        print(f"generated {args.scale} in {generated:.1f} s (not counted)", flush=True)
    run = materialize(workdir, last_seconds(workdir))
    (workdir / LAST_RUN).write_text(f"{run.seconds:.1f}")
    print(f"make materialize: {run.seconds:.1f} s, peak {run.peak_mb:,.0f} MB", flush=True)
    bare = baselines(workdir)
    block = markdown_block(args.scale, run, bare, dt.date.today())
    print(block)
    args.doc.write_text(replace_block(args.doc.read_text(), args.scale, block, HEADING))
    print(f"written to {args.doc}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
