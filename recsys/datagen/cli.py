"""Command line: python -m recsys.datagen --scale demo --out data/landing --seed 7."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from recsys.datagen.drift import DRIFTS
from recsys.datagen.faults import FAULTS, FaultReport, apply_fault
from recsys.datagen.platform import GenerationSummary, generate_platform
from recsys.datagen.scales import DEFAULT_START, SCALES
from recsys.landing import TABLES


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recsys.datagen", description="Generate a synthetic creator platform."
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    parser.add_argument("--out", type=Path, required=True, help="landing zone root")
    parser.add_argument("--truth-out", type=Path, help="true preferences (default: OUT/../truth)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--overwrite", action="store_true", help="replace existing landing data")
    parser.add_argument(
        "--fault",
        choices=FAULTS,
        action="append",
        default=[],
        help="damage one day's events after generation (repeatable; pair with --fault-day)",
    )
    parser.add_argument(
        "--fault-day",
        type=dt.date.fromisoformat,
        action="append",
        default=[],
        help="day of each --fault, in order; a single day applies to every fault",
    )
    parser.add_argument(
        "--drift-from", type=dt.date.fromisoformat, help="days from then on drift (see --drift)"
    )
    parser.add_argument("--drift", choices=DRIFTS, default="topic_shift")
    args = parser.parse_args(argv)
    if args.fault and not args.fault_day:
        parser.error("--fault needs --fault-day")
    if args.fault_day and len(args.fault_day) not in (1, len(args.fault)):
        parser.error("give one --fault-day, or one per --fault")
    if args.fault_day and not args.fault:
        parser.error("--fault-day needs --fault")
    return args


def fault_plan(args: argparse.Namespace) -> list[tuple[str, dt.date]]:
    """(fault, day) pairs in the order given; one --fault-day applies to every fault."""
    days = args.fault_day * len(args.fault) if len(args.fault_day) == 1 else args.fault_day
    return list(zip(args.fault, days, strict=True))


def describe_fault(report: FaultReport) -> str:
    return (
        f"fault {report.fault} on {report.day.isoformat()}: rows {report.rows_before:,} -> "
        f"{report.rows_after:,}, {len(report.event_ids):,} event ids involved"
        + "".join(f", {key}={value}" for key, value in report.details.items() if "ids" not in key)
    )


def existing_table_folders(out: Path) -> list[Path]:
    """Landing table folders under `out` that already hold something."""
    return [
        folder
        for table in TABLES
        if (folder := table.folder(out)).is_dir() and any(folder.iterdir())
    ]


def describe(summary: GenerationSummary) -> str:
    lines = [
        f"generated scale={summary.scale} seed={summary.seed} start={summary.start} "
        f"days={summary.days} in {summary.seconds:.1f}s",
        f"landing zone: {summary.out}",
        *(f"  {table:<14}{rows:>12,} rows" for table, rows in summary.rows.items()),
        f"truth: {summary.truth_out}",
        *(f"  {name:<32}{rows:>12,} rows" for name, rows in summary.truth_rows.items()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    existing = existing_table_folders(out)
    if existing and not args.overwrite:
        print(
            f"refusing to write: {out} already holds landing data "
            f"({', '.join(folder.name for folder in existing)}); pass --overwrite to replace it",
            file=sys.stderr,
        )
        return 2
    for folder in existing:
        shutil.rmtree(folder)
    truth_out = args.truth_out or out.parent / "truth"
    summary = generate_platform(
        out,
        truth_out,
        args.scale,
        args.seed,
        args.start,
        progress=lambda line: print(line, flush=True),
        drift_from=args.drift_from,
        drift=args.drift,
    )
    print(describe(summary))
    for fault, day in fault_plan(args):
        print(describe_fault(apply_fault(out, fault, day, args.seed)), flush=True)
    return 0
