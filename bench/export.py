"""Benchmark the export to PostgreSQL against psql's \\copy: `python -m bench.export --rows N`.

The warehouse is synthetic but of the real shape (bench/synthetic_export.py): the five tables
with their exact columns and types, sized for N/20 users, so user_posts has N rows (default 20M:
1M users x 20). The export runs into a fresh schema (`--exports 2` runs a second one from changed
tables, which also retires a previous version); then `psql -c "\\copy ... FROM file csv"` loads
the same user_posts rows (CSV written to a file first, untimed) into a scratch table without
keys. The export sends PostgreSQL's binary format, which the server ingests faster than CSV.
Printed: rows/s of both COPYs, the ratio export/psql (goal >= 0.8), and how long the swap held
the table locks. Timings only, no assertions.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import duckdb
import psycopg
import pyarrow.csv as pa_csv
from psycopg import sql

from bench.synthetic_export import write_synthetic_tables
from recsys.identifiers import quoted
from recsys.publish.export import ExportResult, export_recommendations, parse_target
from recsys.publish.export.tables import POSTGRES_TYPES, USER_POSTS, VERSION_COLUMN
from recsys.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test?schema=export_bench"
PER_USER = 20
SCRATCH = "psql_copy_scratch"


def build_warehouse(path: Path, rows: int, seed: int) -> dict[str, int]:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as conn:
        return write_synthetic_tables(conn, max(rows // PER_USER, 1), seed=seed)


def write_csv(warehouse: Path, csv: Path, version: int) -> int:
    """user_posts with the export version column, as CSV for psql; returns the rows written."""
    columns = ", ".join(quoted(c) for c in USER_POSTS.column_names)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        reader = conn.sql(
            f"SELECT {columns}, CAST($v AS BIGINT) FROM recommendations.user_posts",
            params={"v": version},
        ).to_arrow_reader(1_000_000)
        with pa_csv.CSVWriter(
            str(csv), reader.schema, write_options=pa_csv.WriteOptions(include_header=False)
        ) as out:
            rows = 0
            for batch in reader:
                out.write_batch(batch)
                rows += batch.num_rows
    return rows


def psql_copy(warehouse: Path, url: str, workdir: Path, version: int) -> tuple[int, float]:
    """Rows and seconds of psql \\copy of the same user_posts rows the export sent, from a CSV
    file (written beforehand, not timed), into a scratch table without keys."""
    target = parse_target(url)
    csv = workdir / "user_posts.csv"
    rows = write_csv(warehouse, csv, version)
    scratch = sql.Identifier(target.schema, SCRATCH)
    definition = sql.SQL(", ").join(
        [
            sql.SQL("{} {} NOT NULL").format(
                sql.Identifier(c.name), sql.SQL(POSTGRES_TYPES[c.type])
            )
            for c in USER_POSTS.columns
        ]
        + [sql.SQL("{} bigint NOT NULL").format(sql.Identifier(VERSION_COLUMN))]
    )
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(scratch))
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(scratch, definition))
        copy = sql.SQL("\\copy {} FROM {} csv").format(scratch, sql.Literal(str(csv)))
        command = copy.as_string(conn)
    started = time.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target.conninfo, "-c", command],
        check=True,
    )
    seconds = time.perf_counter() - started
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE {}").format(scratch))
    csv.unlink()
    return rows, seconds


def report(results: list[ExportResult], psql_rows: int, psql_seconds: float) -> str:
    lines = []
    for number, result in enumerate(results, 1):
        lines.append(f"export {number} (version {result.version}, {result.status}):")
        for name, table in result.tables.items():
            lines.append(
                f"  {name:<24}{table.rows:>12,} rows  copy {table.copy_seconds:6.1f} s "
                f"{table.rows_per_second:>12,.0f} rows/s  keys {table.keys_seconds:5.1f} s  "
                f"verify {table.verify_seconds:5.1f} s"
            )
        lines.append(
            f"  total copy+keys+verify {result.copy_seconds:.1f} s; "
            f"swap held the locks {result.swap_lock_ms:.1f} ms"
        )
    export_rate = results[-1].tables[USER_POSTS.name].rows_per_second
    psql_rate = psql_rows / psql_seconds
    lines.append(
        f"psql \\copy user_posts {psql_rows:>12,} rows  {psql_seconds:6.1f} s "
        f"{psql_rate:>12,.0f} rows/s"
    )
    lines.append(
        f"export COPY / psql \\copy (user_posts): {export_rate / psql_rate:.2f}x (goal >= 0.8)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows of user_posts")
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL URL (?schema= is dropped)")
    parser.add_argument("--exports", type=int, default=1, choices=[1, 2])
    parser.add_argument("--workdir", type=Path, help="default: <data dir>/bench/export")
    args = parser.parse_args()
    workdir = (args.workdir or Settings.from_env().bench_dir / "export").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "warehouse.duckdb"
    target = parse_target(args.url)
    _drop_schema(target.conninfo, target.schema)
    started = time.perf_counter()
    sizes = build_warehouse(warehouse, args.rows, seed=1)
    seconds = time.perf_counter() - started
    tables = ", ".join(f"{name} {rows:,}" for name, rows in sizes.items())
    _print(f"synthetic warehouse: {sum(sizes.values()):,} rows in {seconds:.1f} s ({tables})")
    results = [export_recommendations(warehouse, args.url, progress=_print)]
    if args.exports == 2:
        build_warehouse(warehouse, args.rows, seed=2)
        results.append(export_recommendations(warehouse, args.url, progress=_print))
    psql_rows, psql_seconds = psql_copy(warehouse, args.url, workdir, results[-1].version)
    print(report(results, psql_rows, psql_seconds))
    warehouse.unlink()
    _drop_schema(target.conninfo, target.schema)


def _print(line: str) -> None:
    print(line, flush=True)


def _drop_schema(conninfo: str, schema: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    main()
