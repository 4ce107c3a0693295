"""The dbt project on Spark builds the same tables as on DuckDB, row for row, from the same SQL.

Marked `spark`: deselected by default, selected by `make test-spark`, which first makes the Spark
environment (.venv-spark/, the uv group `spark`). Selected without that environment or without
Java, these tests fail: they never skip.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from support.dbt_harness import DBT_PROJECT_DIR, DbtRun, invoke_dbt, query, run_dbt

from recsys.datagen import generate_platform
from recsys.datagen.faults import apply_fault
from recsys.ingest.landing import EVENTS, TABLES, complete_event_days
from recsys.ingest.raw_loading import RAW_SCHEMA, load_dimension_table, load_event_days

pytestmark = pytest.mark.spark

SPARK_DBT = DBT_PROJECT_DIR.parent / ".venv-spark" / "bin" / "dbt"
# Every model of the project: staging, intermediate, marts and the feature snapshots.
MODELS = sorted(path.stem for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"))
# The faults the SQL must absorb the same way on both engines: re-delivered events (deduplicated)
# and a bot's flood of views (removed), both on a day in the middle of the history.
FAULTS = ("duplicate_events", "bot_flood")
SEED = 5
# Queries on the tiny platform take milliseconds: the JIT's top tier and a parallel GC cost the
# driver more than they save (measured here: the Spark build takes 94 CPU seconds with these
# flags, 140 without).
SHORT_RUN_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Doubles agree to this relative tolerance, not bit for bit: a sum of doubles depends on the order
# its rows are added in, which neither engine fixes (two DuckDB builds differ in the last bits).
DOUBLE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Builds:
    """The DuckDB warehouse and the Spark directory, both built from the same raw rows."""

    warehouse: Path
    spark_dir: Path
    spark_run: DbtRun

    def schema_of(self, model: str) -> str:
        rows = query(
            self.warehouse,
            f"select schema_name from duckdb_tables() where table_name = '{model}'",
        )
        assert len(rows) == 1, f"{model} is not one table of the DuckDB build: {rows}"
        return rows[0][0]


def run_spark_dbt(command: str, spark_dir: Path, work_dir: Path) -> DbtRun:
    """`dbt <command> --target spark` by the Spark environment's dbt, writing under spark_dir."""
    return invoke_dbt(
        SPARK_DBT,
        [command, "--target", "spark"],
        work_dir,
        {"spark_dir": str(spark_dir)},
        {"CREATOR_DISCOVERY_SPARK_JAVA_OPTIONS": SHORT_RUN_JAVA_OPTIONS},
    )


def load_raw(landing: Path, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        for contract in TABLES:
            if contract is not EVENTS:
                load_dimension_table(conn, contract, landing)
        load_event_days(conn, landing, complete_event_days(landing))


def export_raw(warehouse: Path, raw_dir: Path) -> None:
    """raw.<table> of the DuckDB warehouse as raw_dir/<table>/<table>.parquet."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for contract in TABLES:
            folder = raw_dir / contract.name
            folder.mkdir(parents=True)
            conn.execute(
                f"copy {RAW_SCHEMA}.{contract.name} to '{folder / contract.name}.parquet' "
                "(format parquet)"
            )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """The tiny platform, with the faults, built by dbt on DuckDB and on Spark."""
    if not SPARK_DBT.exists():
        pytest.fail(f"{SPARK_DBT} is missing: `make test-spark` makes the Spark environment")
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        pytest.fail("Spark needs Java: `make test-spark` installs openjdk-17-jre-headless")
    root = tmp_path_factory.mktemp("spark_marts")
    landing = root / "landing"
    generate_platform(landing, root / "truth", scale="tiny", seed=SEED)
    days = complete_event_days(landing)
    for fault in FAULTS:
        apply_fault(landing, fault, days[len(days) // 2], SEED)

    warehouse = root / "warehouse.duckdb"
    load_raw(landing, warehouse)
    spark_dir = root / "spark"
    export_raw(warehouse, spark_dir / "raw")
    # The two builds share nothing once the raw rows are exported: DuckDB's runs while Spark starts.
    with ThreadPoolExecutor(max_workers=2) as pool:
        duckdb_build = pool.submit(run_dbt, "build", warehouse, root / "duckdb")
        spark_build = pool.submit(run_spark_dbt, "build", spark_dir, root / "spark_dbt")
        duckdb_run, spark_run = duckdb_build.result(), spark_build.result()
    assert duckdb_run.returncode == 0, duckdb_run.output
    if spark_run.returncode != 0:
        pytest.fail(f"dbt build --target spark failed:\n{spark_run.output[-6000:]}")
    return Builds(warehouse, spark_dir, spark_run)


def test_spark_builds_every_model_and_passes_every_dbt_test(builds: Builds) -> None:
    statuses = builds.spark_run.statuses
    built = sorted(node.split(".")[-1] for node in statuses if node.startswith("model."))

    assert built == MODELS
    assert {"staging", "intermediate", "marts"} <= {builds.schema_of(model) for model in MODELS}
    assert builds.spark_run.failed_nodes() == []
    assert sum(node.startswith("test.") for node in statuses) > 50


def test_the_raw_rows_hold_redelivered_events_and_a_bot(builds: Builds) -> None:
    """So the comparisons cover deduplication and bot removal."""
    [(n_bots,)] = query(builds.warehouse, "select count(*) from staging.stg_bot_users")
    [(n_raw, n_distinct)] = query(
        builds.warehouse, "select count(*), count(distinct event_id) from raw.events"
    )

    assert n_bots >= 1
    assert n_raw > n_distinct


# The families of column types the engines must agree on; widths may differ (Spark's datediff is
# an INTEGER where DuckDB's date_diff is a BIGINT).
TYPE_FAMILIES = {
    "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer", "BIGINT": "integer",
    "HUGEINT": "integer", "FLOAT": "double", "DOUBLE": "double", "VARCHAR": "string",
    "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
}  # fmt: skip


@dataclass(frozen=True)
class Table:
    """A table's columns with their type families, and its rows in column order."""

    columns: dict[str, str]
    rows: list[tuple[Any, ...]]


def read_table(
    conn: duckdb.DuckDBPyConnection, relation: str, column_order: Sequence[str] | None = None
) -> Table:
    """`relation` (a table or a read_parquet call) with its columns in `column_order`."""
    described = conn.execute(f"describe select * from {relation}").fetchall()
    columns = {name: TYPE_FAMILIES.get(type_, type_) for name, type_, *_ in described}
    order = [name for name in column_order or columns if name in columns]
    selected = ", ".join(f'"{name}"' for name in order)
    rows = conn.execute(f"select {selected} from {relation}").fetchall()
    return Table(columns, rows)


def duckdb_table(builds: Builds, model: str) -> Table:
    with duckdb.connect(str(builds.warehouse), read_only=True) as conn:
        return read_table(conn, f"{builds.schema_of(model)}.{model}")


def spark_table(builds: Builds, model: str, column_order: Sequence[str]) -> Table:
    """The Spark table, read from its Parquet files (partition columns from their folder names)."""
    location = builds.spark_dir / "warehouse" / f"{builds.schema_of(model)}.db" / model
    with duckdb.connect() as conn:
        return read_table(
            conn,
            f"read_parquet('{location}/**/*.parquet', hive_partitioning = true)",
            column_order,
        )


def sort_key(row: tuple[Any, ...], double_positions: set[int]) -> tuple[Any, ...]:
    """Exact columns first, doubles last: rows sort alike on both engines when the doubles differ
    in their last bits. Nulls sort first."""
    positions = [i for i in range(len(row)) if i not in double_positions]
    positions += sorted(double_positions)
    return tuple((row[i] is not None, row[i]) for i in positions)


def same_value(left: Any, right: Any, is_double: bool) -> bool:
    if is_double and left is not None and right is not None:
        both_nan = math.isnan(left) and math.isnan(right)
        return both_nan or math.isclose(left, right, rel_tol=DOUBLE_TOLERANCE, abs_tol=1e-12)
    return left == right


def row_differences(expected: Table, actual: Table) -> list[str]:
    """The rows that differ once both sides are sorted, each as its DuckDB and its Spark values."""
    names = list(expected.columns)
    doubles = {i for i, name in enumerate(names) if expected.columns[name] == "double"}
    differences = []
    for duckdb_row, spark_row in zip(
        sorted(expected.rows, key=lambda row: sort_key(row, doubles)),
        sorted(actual.rows, key=lambda row: sort_key(row, doubles)),
        strict=True,
    ):
        pairs = enumerate(zip(duckdb_row, spark_row, strict=True))
        if not all(same_value(left, right, i in doubles) for i, (left, right) in pairs):
            differences.append(
                f"duckdb {dict(zip(names, duckdb_row, strict=True))}\n"
                f" spark {dict(zip(names, spark_row, strict=True))}"
            )
    return differences


@pytest.mark.parametrize("model", MODELS)
def test_spark_table_equals_duckdb_row_for_row(builds: Builds, model: str) -> None:
    expected = duckdb_table(builds, model)
    actual = spark_table(builds, model, list(expected.columns))

    assert actual.columns == expected.columns
    assert len(actual.rows) == len(expected.rows) > 0
    differences = row_differences(expected, actual)
    shown = "\n".join(differences[:5])
    assert differences == [], f"{len(differences)} rows differ, e.g.\n{shown}"
