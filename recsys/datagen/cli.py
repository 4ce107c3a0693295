"""Command line: python -m recsys.datagen --scale demo --out data/landing --seed 7."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

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
    return parser.parse_args(argv)


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
    )
    print(describe(summary))
    return 0
