"""Export the recommendation tables to the product database, roll back, report status.

An export: check the warehouse tables (refusing before the product database is opened), take the
exporter lock, clean what a killed run left, and unless the live version already holds exactly
these tables, copy each into a staging table, add keys, verify row count and checksum, then swap
all of them into place in one transaction. The previous version stays as the __previous tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recsys.publish.export.backend import Backend, Pause, Progress, open_backend
from recsys.publish.export.errors import ExportError, NoPreviousVersion
from recsys.publish.export.log import (
    EXPORT,
    FAILED,
    LOG_TABLE,
    ROLLBACK,
    ROLLED_BACK,
    RUNNING,
    SUCCEEDED,
    UNCHANGED,
    LogEntry,
    NewEntry,
)
from recsys.publish.export.results import ExportResult, ExportStatus, TableReport
from recsys.publish.export.tables import TABLES, TableSpec
from recsys.publish.export.target import Target, parse_target

if TYPE_CHECKING:
    from recsys.publish.export.warehouse import SourceTable

logger = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 2.0
SWAP_ATTEMPTS = 5
# How long to wait for another exporter's lock; also covers a killed exporter's session that the
# server has not yet noticed is gone.
LOCK_WAIT_SECONDS = 10.0


def export_recommendations(
    warehouse: Path,
    url: str,
    *,
    progress: Progress | None = None,
    pause: Pause | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    swap_attempts: int = SWAP_ATTEMPTS,
    lock_wait: float = LOCK_WAIT_SECONDS,
    specs: tuple[TableSpec, ...] = TABLES,
) -> ExportResult:
    """Export the warehouse's recommendation tables to the product database at `url`.

    Raises ExportRefused (product database untouched) when a table is missing, empty, has nulls
    or does not match its spec; ExporterBusy when another export runs; ExportError when a step
    fails (the product keeps its live version; the entry is logged failed). Exporting tables the
    live version already holds changes nothing and is logged unchanged. `progress` receives one
    line per step (default: this module's logger); `pause` is called at "copy:<table>" (after
    the table's first block) and "swap" (inside the swap transaction) for fault tests.
    """
    from recsys.publish.export.warehouse import inspect_tables, open_warehouse

    say = progress or logger.info
    target = parse_target(url)
    with open_warehouse(warehouse) as source:
        tables = inspect_tables(source, specs)
        with open_backend(target, specs, lock_timeout) as db, db.exclusive(lock_wait):
            cleaned = db.prepare()
            for line in cleaned:
                say(f"cleanup: {line}")
            live = db.live()
            if live is not None and _same_tables(live, tables):
                entry = _entry(UNCHANGED, warehouse, tables, live.version, live.replaced_version)
                entry_id = db.begin(entry)
                say(f"unchanged: version {live.version} already holds these tables")
                return _result(entry, entry_id, target, cleaned=cleaned)
            entry = _entry(RUNNING, warehouse, tables, None, live.version if live else None)
            version = db.begin(entry)
            say(f"export version {version} to {target.masked}")
            with _failing_entry(db, version, specs):
                started = time.perf_counter()
                reports = {
                    t.spec.name: _copy_and_verify(db, t, source, version, say, pause or _no_pause)
                    for t in tables
                }
                copy_seconds = time.perf_counter() - started
                swap_ms = db.swap(version, lock_timeout, swap_attempts, pause or _no_pause, say)
            say(f"swapped version {version} in: locks held {swap_ms:.1f} ms")
            _tidy_after_swap(db, version, copy_seconds, swap_ms, say)
    done = replace(entry, status=SUCCEEDED, version=version)
    return _result(done, version, target, reports, copy_seconds, swap_ms, cleaned)


def rollback_recommendations(
    url: str,
    *,
    progress: Progress | None = None,
    pause: Pause | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    swap_attempts: int = SWAP_ATTEMPTS,
    lock_wait: float = LOCK_WAIT_SECONDS,
    specs: tuple[TableSpec, ...] = TABLES,
) -> ExportResult:
    """Make the previous version live again (and the live one previous), atomically, logged as
    rolled_back. NoPreviousVersion when there is none; a second rollback undoes the first."""
    say = progress or logger.info
    target = parse_target(url)
    if not _exists(target):
        raise NoPreviousVersion(f"{target.masked}: no previous version to roll back to")
    with open_backend(target, specs, lock_timeout) as db, db.exclusive(lock_wait):
        if LOG_TABLE not in db.tables():
            raise NoPreviousVersion(f"{target.masked}: no previous version to roll back to")
        cleaned = db.prepare()
        live = db.live()
        restored = db.entry(live.replaced_version) if live and live.replaced_version else None
        if live is None or restored is None:
            # A re-export of identical tables is logged unchanged and keeps no copy, so the only
            # version there is stays live rather than being "restored" over itself.
            only = f" (version {live.version} is the only one exported)" if live else ""
            raise NoPreviousVersion(f"{target.masked}: no previous version to roll back to{only}")
        entry = NewEntry(
            operation=ROLLBACK,
            status=ROLLED_BACK,
            warehouse=None,
            model_versions=restored.model_versions,
            row_counts=restored.row_counts,
            checksums=restored.checksums,
            version=restored.version,
            replaced_version=live.version,
        )
        entry_id, swap_ms = db.restore(entry, lock_timeout, swap_attempts, pause or _no_pause, say)
        db.record_timings(entry_id, None, swap_ms)
    say(f"rolled back to version {restored.version} (version {live.version} kept as previous)")
    return _result(entry, entry_id, target, swap_lock_ms=swap_ms, cleaned=cleaned)


def export_status(url: str, limit: int = 10, specs: tuple[TableSpec, ...] = TABLES) -> ExportStatus:
    """Read-only: the live and kept versions, the last `limit` entries, a killed run's leftovers."""
    target = parse_target(url)
    if not _exists(target):
        return ExportStatus(target.masked, None, [], [])
    with open_backend(target, specs, LOCK_TIMEOUT_SECONDS) as db:
        present = db.tables()
        if LOG_TABLE not in present:
            return ExportStatus(target.masked, None, [], [])
        entries = db.entries(limit)
        leftovers = [n for s in specs for n in (s.staging, s.retired) if n in present]
        leftovers += [f"entry {e.id} still running" for e in entries if e.status == RUNNING]
        return ExportStatus(target.masked, db.live(), entries, leftovers)


def _copy_and_verify(
    db: Backend, table: SourceTable, source: Any, version: int, say: Progress, pause: Pause
) -> TableReport:
    spec = table.spec
    with _naming(spec, db.target):
        started = time.perf_counter()
        rows = db.load(spec, source, version, pause)
        loaded = time.perf_counter()
        say(
            f"{spec.name}: {rows:,} rows copied in {loaded - started:.1f} s "
            f"({rows / max(loaded - started, 1e-9):,.0f} rows/s)"
        )
        db.add_keys(spec, version)
        keyed = time.perf_counter()
        differences = table.checksum.differences(db.checksum(spec, spec.staging))
        verified = time.perf_counter()
    if differences:
        raise ExportError(
            f"{spec.name}: the copy does not match the warehouse ({'; '.join(differences)})"
        )
    say(f"{spec.name}: keys added in {keyed - loaded:.1f} s, rows and checksum verified")
    return TableReport(rows, loaded - started, keyed - loaded, verified - keyed)


def _entry(
    status: str,
    warehouse: Path,
    tables: list[SourceTable],
    version: int | None,
    replaced_version: int | None,
) -> NewEntry:
    return NewEntry(
        operation=EXPORT,
        status=status,
        warehouse=str(warehouse),
        model_versions={
            t.spec.name: list(t.model_versions) for t in tables if t.spec.has_model_version
        },
        row_counts={t.spec.name: t.rows for t in tables},
        checksums={t.spec.name: t.checksum.to_json() for t in tables},
        version=version,
        replaced_version=replaced_version,
    )


def _result(
    entry: NewEntry,
    entry_id: int,
    target: Target,
    tables: dict[str, TableReport] | None = None,
    copy_seconds: float = 0.0,
    swap_lock_ms: float = 0.0,
    cleaned: list[str] | None = None,
) -> ExportResult:
    return ExportResult(
        status=entry.status,
        version=int(entry.version if entry.version is not None else entry_id),
        replaced_version=entry.replaced_version,
        entry_id=entry_id,
        url=target.masked,
        row_counts=entry.row_counts,
        model_versions=entry.model_versions,
        tables=tables or {},
        copy_seconds=copy_seconds,
        swap_lock_ms=swap_lock_ms,
        cleaned=cleaned or [],
    )


def _same_tables(live: LogEntry, tables: list[SourceTable]) -> bool:
    """The live version was exported from tables with these exact checksums."""
    for table in tables:
        logged = live.checksum(table.spec.name)
        if logged is None or not logged.matches(table.checksum):
            return False
    return len(live.checksums) == len(tables)


def _exists(target: Target) -> bool:
    """False for a SQLite file that is not there yet: reading must not create it."""
    return target.path is None or target.path.exists()


@contextmanager
def _naming(spec: TableSpec, target: Target) -> Iterator[None]:
    """Errors during one table's steps name that table (and never a secret of the URL)."""
    try:
        yield
    except ExportError:
        raise
    except Exception as error:
        raise ExportError(f"{spec.name}: {target.redact(str(error))}") from None


@contextmanager
def _failing_entry(db: Backend, entry_id: int, specs: tuple[TableSpec, ...]) -> Iterator[None]:
    """On any failure: drop this run's staging tables and log the entry failed, then re-raise.
    If the connection itself is gone, the next run's cleanup does both."""
    try:
        yield
    except BaseException as error:
        try:
            db.drop([spec.staging for spec in specs])
            db.finish(entry_id, FAILED, db.target.redact(str(error)))
        except Exception:
            logger.warning("could not log export %s as failed; the next run will", entry_id)
        raise


def _tidy_after_swap(
    db: Backend, version: int, copy_seconds: float, swap_ms: float, say: Progress
) -> None:
    """Timings and the retired tables: the version is live already, so a failure here is only
    reported; the next run drops what is left."""
    try:
        db.record_timings(version, copy_seconds, swap_ms)
        db.drop([spec.retired for spec in db.specs])
    except db.driver_errors as error:
        say(f"after the swap: {db.target.redact(str(error))}; the next run will tidy up")


def _no_pause(stage: str) -> None:
    return None
