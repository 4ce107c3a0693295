"""Benchmark steps, each run in its own process by bench.measure: `python -m bench.steps STEP`."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from graphlib import TopologicalSorter
from pathlib import Path

from bench import models, ranking, shards
from bench.measure import CORE_SECONDS_PREFIX

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def generate(scale: str, landing: str, truth: str) -> None:
    from recsys.datagen import generate_platform

    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(truth, ignore_errors=True)
    generate_platform(Path(landing), Path(truth), scale=scale, seed=7, progress=print)


def rewrite_landing(landing: str, copy: str) -> None:
    """Baseline for generation: read every landing file and write it again with pyarrow."""
    import pyarrow.parquet as pq

    shutil.rmtree(copy, ignore_errors=True)
    for source in sorted(Path(landing).rglob("*.parquet")):
        target = Path(copy) / source.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pq.read_table(source), target)


def load(landing: str, warehouse: str) -> float:
    """The raw load as the assets run it; returns the seconds of the load itself (no imports)."""
    import duckdb

    from recsys.ingest.landing import DIMENSION_TABLES, complete_event_days
    from recsys.ingest.raw_loading import load_dimension_table, load_event_days

    Path(warehouse).unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(warehouse) as conn:
        for contract in DIMENSION_TABLES:
            load_dimension_table(conn, contract, Path(landing))
        load_event_days(conn, Path(landing), complete_event_days(Path(landing)))
    return time.perf_counter() - started


def load_bare(landing: str, warehouse: str) -> float:
    """Baseline for loading: one CREATE TABLE AS over each folder's Parquet files."""
    import duckdb

    from recsys.ingest.landing import DIMENSION_TABLES

    Path(warehouse).unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(warehouse) as conn:
        conn.execute("CREATE SCHEMA raw")
        for contract in DIMENSION_TABLES:
            conn.execute(
                f"CREATE TABLE raw.{contract.name} AS "
                f"SELECT * FROM read_parquet('{landing}/{contract.name}/*.parquet')"
            )
        conn.execute(
            "CREATE TABLE raw.events AS SELECT * EXCLUDE (date), date::DATE AS event_date "
            f"FROM read_parquet('{landing}/events/*/*.parquet', hive_partitioning = true)"
        )
    return time.perf_counter() - started


def load_plain(landing: str, warehouse: str) -> float:
    """Baseline for strict conversion: the load path before the exact-conversion contract (git
    history of recsys/ingest/raw_loading.py): each dimension table a CREATE TABLE AS with a CAST
    per column, each day a DELETE and INSERT with the same casts, the days in one transaction; no
    exactness, range or completeness checks."""
    import duckdb

    from recsys.ingest.landing import DIMENSION_TABLES, EVENTS, complete_event_days, day_folder

    def casts(columns: dict[str, str]) -> str:
        return ", ".join(f"CAST({name} AS {dtype}) AS {name}" for name, dtype in columns.items())

    def reader(folder: Path) -> str:
        paths = ", ".join(f"'{path}'" for path in sorted(folder.glob("*.parquet")))
        return f"read_parquet([{paths}], union_by_name = true)"

    Path(warehouse).unlink(missing_ok=True)
    root = Path(landing)
    started = time.perf_counter()
    with duckdb.connect(warehouse) as conn:
        conn.execute("CREATE SCHEMA raw")
        for contract in DIMENSION_TABLES:
            conn.execute(
                f"CREATE TABLE raw.{contract.name} AS SELECT {casts(contract.columns)} "
                f"FROM {reader(contract.folder(root))}"
            )
        columns = ", ".join(f"{name} {dtype}" for name, dtype in EVENTS.columns.items())
        conn.execute(f"CREATE TABLE raw.events ({columns}, event_date DATE NOT NULL)")
        conn.execute("BEGIN")
        for day in complete_event_days(root):
            conn.execute("DELETE FROM raw.events WHERE event_date = ?", [day])
            conn.execute(
                f"INSERT INTO raw.events SELECT {casts(EVENTS.columns)}, ?::DATE AS event_date "
                f"FROM {reader(day_folder(root, day))}",
                [day],
            )
        conn.execute("COMMIT")
    return time.perf_counter() - started


def copy_file(source: str, target: str) -> None:
    shutil.copyfile(source, target)


def dbt_build(warehouse: str, target_path: str) -> None:
    """The dbt build as Dagster runs it, in this process so its memory is this process's."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(_dbt_args("build", warehouse, target_path))
    if not result.success:
        raise SystemExit(f"dbt build failed: {result.exception}")


def dbt_compile(warehouse: str, target_path: str) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(_dbt_args("compile", warehouse, target_path))
    if not result.success:
        raise SystemExit(f"dbt compile failed: {result.exception}")


def bare_sql(warehouse: str, manifest_path: str) -> None:
    """Baseline for dbt: the same compiled models and tests, run in dependency order by DuckDB."""
    import duckdb

    manifest = json.loads(Path(manifest_path).read_text())
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test")
    }
    graph = {
        unique_id: [dep for dep in node["depends_on"]["nodes"] if dep in nodes]
        for unique_id, node in nodes.items()
    }
    with duckdb.connect(warehouse) as conn:
        for unique_id in TopologicalSorter(graph).static_order():
            node = nodes[unique_id]
            sql = node["compiled_code"]
            if node["resource_type"] == "test":
                conn.execute(f"SELECT count(*) FROM ({sql}) AS failures").fetchone()
                continue
            relation = f"{node['schema']}.{node['alias'] or node['name']}"
            kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {node['schema']}")
            conn.execute(f"CREATE OR REPLACE {kind} {relation} AS {sql}")


def _dbt_args(command: str, warehouse: str, target_path: str) -> list[str]:
    return [
        command,
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        target_path,
        "--log-path",
        target_path,
        "--vars",
        json.dumps({"warehouse_path": warehouse}),
    ]


def als_synthetic_prep(users: str, items: str, nnz: str, workdir: str) -> None:
    """A users x items confidence matrix of about `nnz` entries (seeded; items drawn from a
    heavy-tailed popularity, as on the platform), saved where the ALS fit steps read it."""
    import numpy as np
    import scipy.sparse as sp

    n_users, n_items, n = int(float(users)), int(float(items)), int(float(nnz))
    rng = np.random.default_rng(7)
    rows = rng.integers(0, n_users, n, dtype=np.int32)
    popularity = rng.pareto(1.2, n) * n_items / 20
    cols = np.minimum(popularity, n_items - 1).astype(np.int32)
    confidence = (1 + np.log1p(rng.exponential(2.0, n))).astype(np.float32)
    started = time.perf_counter()
    matrix = sp.csr_matrix((confidence, (rows, cols)), shape=(n_users, n_items))
    matrix.sort_indices()
    print(
        f"synthetic {n_users:,} x {n_items:,}, {matrix.nnz:,} nnz: "
        f"coo -> csr {time.perf_counter() - started:.1f} s"
    )
    sp.save_npz(Path(workdir) / "confidence.npz", matrix, compressed=False)
    np.savez(Path(workdir) / "ids.npz", user_ids=np.arange(n_users), item_ids=np.arange(n_items))


def als_fit_timed(workdir: str, tolerance: str = "") -> float:
    """Our fit (default parameters, or tolerance 0: all iterations) with its CPU seconds, the
    iterations it ran and the thread pools it ran under."""
    import os
    from dataclasses import replace

    from threadpoolctl import threadpool_info

    from recsys.models.als import AlsParams, fit_als

    params = AlsParams() if tolerance == "" else replace(AlsParams(), tolerance=float(tolerance))
    matrix = models._matrix(workdir)
    ran: list[int] = []
    cpu, started = _cpu_seconds(), time.perf_counter()
    fit_als(matrix, params, lambda iteration, _loss: ran.append(iteration))
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())
    print(
        f"ours: {ran[-1]} iterations in {seconds:.1f} s ({seconds / ran[-1]:.2f} s/it), "
        f"CPU {cpu:.1f} s; {os.cpu_count()} cores; pools outside the fit: {pools}"
    )
    return seconds


def als_fit_bare_timed(workdir: str) -> float:
    """Bare implicit, 15 iterations, no loss, BLAS at one thread, OpenMP at its default."""
    cpu, started = _cpu_seconds(), time.perf_counter()
    seconds = models.als_fit_bare(workdir)
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(f"bare implicit: {seconds:.1f} s fit, CPU {cpu:.1f} s over {wall:.1f} s with loading")
    return seconds


def _cpu_seconds() -> float:
    import os

    times = os.times()
    return times.user + times.system


STEPS: dict[str, Callable[..., float | None]] = {
    "generate": generate,
    "rewrite-landing": rewrite_landing,
    "load": load,
    "load-bare": load_bare,
    "load-plain": load_plain,
    "copy-file": copy_file,
    "dbt-build": dbt_build,
    "dbt-compile": dbt_compile,
    "bare-sql": bare_sql,
    "als-prep": models.als_prep,
    "als-fit": models.als_fit,
    "als-fit-bare": models.als_fit_bare,
    "als-synthetic-prep": als_synthetic_prep,
    "als-fit-timed": als_fit_timed,
    "als-fit-bare-timed": als_fit_bare_timed,
    "recommend": models.recommend_ours,
    "recommend-bare": models.recommend_bare,
    "content-fit": models.content_fit,
    "index-build": models.index_build,
    "exact-search": models.exact_search,
    "shard-score": shards.score,
    "shard-assemble": shards.assemble,
    "ranking-twin": ranking.twin,
    "ranking-train": ranking.train,
    "ranking-serve": ranking.serve,
    "ranking-serve-als": ranking.serve_als,
}

if __name__ == "__main__":
    core_seconds = STEPS[sys.argv[1]](*sys.argv[2:])
    if core_seconds is not None:
        # The timed core of the step, without imports and loading; bench.measure reads it.
        print(f"{CORE_SECONDS_PREFIX}{core_seconds}", flush=True)
