"""A SQL shell on the analysts' snapshot: `python -m recsys.publish.sql_shell [-c "SELECT ..."]`.

It opens an in-memory DuckDB with one view per published table (marts.*, recommendations.*), so
queries read like the warehouse's but never touch the file the pipeline is writing.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import duckdb

from recsys.publish.snapshots import attach, current
from recsys.settings import Settings

PROMPT, MORE = "sql> ", "...> "


def run(conn: duckdb.DuckDBPyConnection, query: str) -> str:
    relation = conn.sql(query)
    return "" if relation is None else str(relation)


def repl(conn: duckdb.DuckDBPyConnection, snapshot_note: str) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    print(snapshot_note)
    print("End statements with ';'. \\d lists the tables. Ctrl-D quits.")
    buffer: list[str] = []
    while True:
        try:
            line = input(MORE if buffer else PROMPT)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()
            buffer.clear()
            continue
        if not buffer and line.strip() == "\\d":
            line = "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2;"
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        query, buffer = "\n".join(buffer), []
        try:
            print(run(conn, query))
        except duckdb.Error as error:
            print(f"error: {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--command", help="run one statement and exit")
    parser.add_argument(
        "--snapshots", type=Path, help="snapshot folder (default: <data dir>/analytics)"
    )
    args = parser.parse_args(argv)
    root = args.snapshots or Settings.from_env().analytics_dir
    try:
        snapshot = current(root)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    conn = duckdb.connect()
    tables = attach(conn, snapshot)
    if args.command:
        try:
            print(run(conn, args.command))
        except duckdb.Error as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    repl(conn, f"Snapshot {snapshot.created_at} ({snapshot.folder.name}): {len(tables)} tables")
    return 0
