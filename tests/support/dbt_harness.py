"""Run the dbt project on a throwaway DuckDB warehouse whose raw schema a test writes by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from recsys.ingest.landing import EVENTS, TABLES

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

# The raw loader adds the landing day partition to the contract's event columns.
RAW_EXTRA_COLUMNS: dict[str, dict[str, str]] = {EVENTS.name: {"event_date": "DATE"}}


def raw_columns(table: str) -> dict[str, str]:
    """The columns of raw.<table> as the raw loader writes them: the contract's, plus any extras."""
    contract = next(t for t in TABLES if t.name == table)
    return {**contract.columns, **RAW_EXTRA_COLUMNS.get(table, {})}


def write_raw_schema(warehouse: Path, rows: Mapping[str, Iterable[tuple[Any, ...]]]) -> None:
    """Create schema raw with every contract table, filled with `rows` (tuples in column order)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for contract in TABLES:
            columns = raw_columns(contract.name)
            ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
            con.execute(f"create or replace table raw.{contract.name} ({ddl})")
            table_rows = list(rows.get(contract.name, []))
            if table_rows:
                placeholders = ", ".join("?" for _ in columns)
                con.executemany(
                    f"insert into raw.{contract.name} values ({placeholders})", table_rows
                )


@dataclass(frozen=True)
class DbtRun:
    """The outcome of one dbt invocation: exit code, console output, and each node's status."""

    returncode: int
    output: str
    statuses: dict[str, str]

    def failed_nodes(self) -> list[str]:
        return sorted(node for node, status in self.statuses.items() if status in {"fail", "error"})


def run_dbt(
    command: str,
    warehouse: Path,
    work_dir: Path,
    dbt_vars: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> DbtRun:
    """Run `dbt <command>` on `warehouse`; target/ and logs/ go under `work_dir`, not the repo.

    `env` adds to the environment (e.g. the profile's CREATOR_DISCOVERY_DBT_* settings)."""
    all_vars = {"warehouse_path": str(warehouse), **(dbt_vars or {})}
    return invoke_dbt(DBT_EXECUTABLE, [command], work_dir, all_vars, env)


def invoke_dbt(
    executable: Path,
    arguments: list[str],
    work_dir: Path,
    dbt_vars: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> DbtRun:
    """`executable <arguments>` on the project with `dbt_vars`, target/ and logs/ under
    `work_dir`, and each node's status from run_results.json."""
    target_path = work_dir / "target"
    completed = subprocess.run(
        [
            str(executable),
            *arguments,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path),
            "--log-path", str(work_dir / "logs"),
            "--vars", json.dumps(dbt_vars),
        ],
        cwd=DBT_PROJECT_DIR,
        env={
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_NO_VERSION_CHECK": "1",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    run_results = target_path / "run_results.json"
    statuses = {}
    if run_results.exists():
        results = json.loads(run_results.read_text())["results"]
        statuses = {result["unique_id"]: result["status"] for result in results}
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, statuses)


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` run read-only on the warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()
