"""Read-only Parquet snapshots of the warehouse's output tables, for analysts.

DuckDB admits one writer per file and a reader cannot open the file while the pipeline writes it.
So after each build the pipeline publishes the tables analysts query as Parquet, into a new folder
per snapshot, then moves the `current` pointer (a symlink) to it with one atomic rename. A reader
resolves the pointer once and reads one complete snapshot however long it takes; older snapshots
are pruned, keeping a few for readers still on them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.identifiers import checked_table

CURRENT = "current"
MANIFEST = "_snapshot.json"
KEEP = 3


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    created_at: str
    tables: dict[str, int]

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"


def publish(
    conn: duckdb.DuckDBPyConnection, tables: list[str], root: Path, keep: int = KEEP
) -> Snapshot:
    """Write `tables` (schema.name) of the warehouse as a new snapshot and make it current."""
    # Every name first, so a bad one leaves nothing half-written behind.
    for table in tables:
        checked_table(table)
    root.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC)
    name = created.strftime("%Y%m%dT%H%M%S%fZ")
    staging = root / f".{name}.partial"
    staging.mkdir()
    counts: dict[str, int] = {}
    for table in tables:
        target = staging / f"{table}.parquet"
        # The path is ours and the name was validated above; COPY cannot bind a file name.
        conn.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
        counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    manifest = {"created_at": created.isoformat(), "tables": counts}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
    folder = root / name
    staging.rename(folder)
    _point_current(root, name)
    _prune(root, keep)
    return Snapshot(folder, manifest["created_at"], counts)


def current(root: Path) -> Snapshot:
    """The snapshot `current` points at, resolved once: it stays complete while it is read."""
    pointer = root / CURRENT
    if not pointer.exists():
        raise FileNotFoundError(
            f"no snapshot published under {root}: materialize the analytics/snapshot asset "
            "(make demo does)"
        )
    folder = pointer.resolve()
    manifest = json.loads((folder / MANIFEST).read_text())
    return Snapshot(folder, manifest["created_at"], manifest["tables"])


def attach(conn: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> list[str]:
    """Create one view per snapshot table (schema.name), so queries read like the warehouse."""
    for table in snapshot.tables:
        try:
            checked_table(table)
        except ValueError as error:
            raise ValueError(f"{snapshot.folder / MANIFEST}: {error}") from None
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
        source = f"read_parquet('{snapshot.path(table)}')"
        conn.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {source}")
    return list(snapshot.tables)


def _point_current(root: Path, name: str) -> None:
    temporary = root / f".{CURRENT}.{name}"
    temporary.symlink_to(name)
    os.replace(temporary, root / CURRENT)


def _prune(root: Path, keep: int) -> None:
    published = sorted(
        path
        for path in root.iterdir()
        if path.is_dir() and not path.is_symlink() and not path.name.startswith(".")
    )
    current_name = (root / CURRENT).resolve().name
    for folder in published[:-keep]:
        if folder.name != current_name:
            shutil.rmtree(folder, ignore_errors=True)
    for leftover in root.glob(".*.partial"):
        if leftover.stat().st_mtime < (dt.datetime.now().timestamp() - 3600):
            shutil.rmtree(leftover, ignore_errors=True)
