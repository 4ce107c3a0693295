"""`python -m recsys.publish.export {export,rollback,status} [--warehouse PATH] [--url URL]`.

The warehouse defaults to the project's (recsys.settings), the URL to
CREATOR_DISCOVERY_PRODUCT_DB_URL, else a SQLite file beside the warehouse. Exit status: 0 done (or
unchanged), 2 refused, 3 another exporter is running, 1 any other failure.

Fault-test hook: CREATOR_DISCOVERY_EXPORT_PAUSE_AT=<stage>[,<stage>...] makes the process print
`paused at <stage>` and sleep CREATOR_DISCOVERY_EXPORT_PAUSE_SECONDS (default 60) there, so a test
can kill it at a known point. Stages: `copy:<table>` (mid-COPY, after that table's first block;
`copy` alone matches every table) and `swap` (inside the swap or rollback transaction, locks
held). Unset, it costs nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Set
from pathlib import Path

from recsys.publish.export.errors import ExporterBusy, ExportError, ExportRefused
from recsys.publish.export.run import (
    LOCK_WAIT_SECONDS,
    export_recommendations,
    export_status,
    rollback_recommendations,
)
from recsys.publish.export.tables import product_tables
from recsys.settings import PRODUCT_DB_URL_VAR, Settings

PAUSED_PREFIX = "paused at "


def pause_hook(stages: Set[str], seconds: float) -> Callable[[str], None] | None:
    """The fault-test pause hook described above, or None when no stage is named."""
    if not stages:
        return None

    def pause(stage: str) -> None:
        if stage in stages or stage.split(":")[0] in stages:
            print(PAUSED_PREFIX + stage, flush=True)
            time.sleep(seconds)

    return pause


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recsys.publish.export", description=__doc__)
    parser.add_argument("command", choices=["export", "rollback", "status"])
    parser.add_argument(
        "--warehouse", type=Path, help="the DuckDB warehouse file (default: the project's)"
    )
    parser.add_argument(
        "--url",
        help=f"product database URL (default: ${PRODUCT_DB_URL_VAR}, else product.db beside "
        "the warehouse)",
    )
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=LOCK_WAIT_SECONDS,
        help="seconds to wait for another exporter before giving up",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        parser.error(str(error))
    if args.warehouse is not None:
        # The default product database follows the warehouse it is given.
        settings = dataclasses.replace(settings, warehouse_path=args.warehouse.resolve())
    url = args.url or settings.product_db_url
    pause = pause_hook(settings.export_pause_at, settings.export_pause_seconds)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        if args.command == "export":
            result = export_recommendations(
                settings.warehouse_path,
                url,
                progress=say,
                pause=pause,
                lock_wait=args.lock_wait,
                specs=product_tables(settings.reader_history_posts),
            )
            say(f"{result.status}: version {result.version} live at {result.url}")
        elif args.command == "rollback":
            result = rollback_recommendations(
                url, progress=say, pause=pause, lock_wait=args.lock_wait
            )
            say(f"{result.status}: version {result.version} live at {result.url}")
        else:
            _print_status(url, say)
    except ExportRefused as error:
        print(f"export refused: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except ExporterBusy as error:
        print(f"busy: {error}", file=sys.stderr)
        raise SystemExit(3) from None
    except (ExportError, ValueError) as error:
        print(f"failed: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _print_status(url: str, say: Callable[[str], None]) -> None:
    status = export_status(url)
    say(f"product database: {status.url}")
    if status.live is None:
        say("live version: none (nothing exported yet)")
    else:
        say(f"live version: {status.live.version}, previous: {status.previous_version}")
        for table, rows in status.live.row_counts.items():
            say(f"  {table}: {rows:,} rows")
    for line in status.leftovers:
        say(f"leftover (cleaned by the next export): {line}")
    for entry in status.entries:
        say(
            f"  #{entry.id} {entry.operation} {entry.status} version={entry.version} "
            f"started={entry.started_at} copy_s={entry.copy_seconds} "
            f"swap_lock_ms={entry.swap_lock_ms} {entry.message or ''}".rstrip()
        )
