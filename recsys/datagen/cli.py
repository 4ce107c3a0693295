"""Command line: python -m recsys.datagen --scale demo --seed 7 [--profile P] [--out LANDING].

Without --out it writes the project's landing zone and truth folder (recsys.settings), where the
pipeline reads them."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from recsys.datagen.dimension_faults import (
    DIMENSION_FAULTS,
    DimensionFaultReport,
    apply_dimension_fault,
)
from recsys.datagen.drift import DRIFTS
from recsys.datagen.faults import FAULTS, FaultReport, apply_fault
from recsys.datagen.platform import GenerationSummary, generate_platform
from recsys.datagen.profiles import DEFAULT, IRREGULAR, PROFILES
from recsys.ingest.landing import TABLES
from recsys.settings import Settings


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m recsys.datagen", description="Generate a synthetic creator platform."
    )
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        default=DEFAULT,
        help=(
            "shape of the history: default (weeks of steady days from 2026-09-01) or irregular "
            "(about 2.5 years from 2024-01-08: empty days, bursts, heavy readers, bots)"
        ),
    )
    parser.add_argument(
        "--scale", choices=sorted({name for p in PROFILES.values() for name in p.scales}),
        default="tiny",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, help="landing zone root (default: the project's landing zone)"
    )
    parser.add_argument(
        "--truth-out",
        type=Path,
        help="true preferences (default: OUT/../truth, without --out the project's truth folder)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, help="first day (default: the profile's)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing landing data")
    parser.add_argument(
        "--fault",
        choices=(*FAULTS, *DIMENSION_FAULTS),
        action="append",
        default=[],
        metavar="FAULT",
        help=(
            "damage the delivery after generation (repeatable). Faults on one day's events, "
            f"paired with --fault-day: {', '.join(FAULTS)}. Faults on a dimension table, "
            f"no day: {', '.join(DIMENSION_FAULTS)}"
        ),
    )
    parser.add_argument(
        "--fault-day",
        type=dt.date.fromisoformat,
        action="append",
        default=[],
        help="day of each events --fault, in order; a single day applies to every events fault",
    )
    parser.add_argument(
        "--drift-from", type=dt.date.fromisoformat, help="days from then on drift (see --drift)"
    )
    parser.add_argument("--drift", choices=DRIFTS, default="topic_shift")
    args = parser.parse_args(argv)
    event_faults = [fault for fault in args.fault if fault in FAULTS]
    if event_faults and not args.fault_day:
        parser.error(f"--fault {event_faults[0]} (a fault on a day of events) needs --fault-day")
    if args.fault_day and len(args.fault_day) not in (1, len(event_faults)):
        parser.error("give one --fault-day, or one per events --fault")
    if args.fault_day and not event_faults:
        parser.error("--fault-day needs a --fault on events")
    if args.scale not in PROFILES[args.profile].scales:
        parser.error(
            f"profile {args.profile} has no scale {args.scale}; "
            f"choose one of {', '.join(PROFILES[args.profile].scales)}"
        )
    if args.profile == IRREGULAR and args.drift_from is not None:
        parser.error("--drift-from needs the default profile")
    return args


def fault_plan(args: argparse.Namespace) -> list[tuple[str, dt.date | None]]:
    """(fault, day) pairs in the order given: --fault-day pairs with the events faults in order
    (one day applies to them all); a dimension fault has no day."""
    n_event_faults = sum(fault in FAULTS for fault in args.fault)
    days = iter(args.fault_day * n_event_faults if len(args.fault_day) == 1 else args.fault_day)
    return [(fault, next(days) if fault in FAULTS else None) for fault in args.fault]


def describe_fault(report: FaultReport | DimensionFaultReport) -> str:
    if isinstance(report, DimensionFaultReport):
        key = DIMENSION_FAULTS[report.fault].key
        where, involved = report.table, f"{len(report.ids):,} {key}s involved"
    else:
        where, involved = report.day.isoformat(), f"{len(report.event_ids):,} event ids involved"
    return (
        f"fault {report.fault} on {where}: rows {report.rows_before:,} -> "
        f"{report.rows_after:,}, {involved}"
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
        f"generated profile={summary.profile} scale={summary.scale} seed={summary.seed} "
        f"start={summary.start} days={summary.days} in {summary.seconds:.1f}s"
        + (f" ({len(summary.empty_days)} days without delivery)" if summary.empty_days else ""),
        f"landing zone: {summary.out}",
        *(f"  {table:<14}{rows:>12,} rows" for table, rows in summary.rows.items()),
        f"truth: {summary.truth_out}",
        *(f"  {name:<32}{rows:>12,} rows" for name, rows in summary.truth_rows.items()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.from_env()
    out: Path = args.out or settings.landing_dir
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
    truth_out = args.truth_out or (out.parent / "truth" if args.out else settings.truth_dir)
    summary = generate_platform(
        out,
        truth_out,
        args.scale,
        args.seed,
        args.start,
        progress=lambda line: print(line, flush=True),
        drift_from=args.drift_from,
        drift=args.drift,
        profile=args.profile,
    )
    print(describe(summary))
    for fault, day in fault_plan(args):
        report = (
            apply_dimension_fault(out, fault, args.seed)
            if day is None
            else apply_fault(out, fault, day, args.seed)
        )
        print(describe_fault(report), flush=True)
    return 0
