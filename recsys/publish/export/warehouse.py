"""The export's side of the DuckDB warehouse: check the tables, checksum them, stream them.

The warehouse is opened read-only for the whole export and read inside one transaction: no process
can write the file meanwhile (DuckDB's file lock), so what is checked is what is exported.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.identifiers import quoted
from recsys.publish.export.checksum import Checksum, checksum_from_row, checksum_select
from recsys.publish.export.errors import ExportRefused
from recsys.publish.export.tables import TABLES, WAREHOUSE_SCHEMA, TableSpec
from recsys.warehouse import connect

BATCH_ROWS = 256_000
# Encoded blocks waiting for the target: enough to keep the COPY busy, bounded in memory.
QUEUED_BLOCKS = 4


@dataclass(frozen=True)
class SourceTable:
    """A warehouse table that passed the checks: its size, checksum and model versions."""

    spec: TableSpec
    rows: int
    checksum: Checksum
    model_versions: tuple[int, ...]


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse, inside one read transaction."""
    if not Path(path).is_file():
        raise ExportRefused(f"no warehouse at {path}")
    with connect(path, read_only=True) as conn:
        conn.execute("BEGIN TRANSACTION")
        yield conn
        conn.execute("ROLLBACK")


def inspect_tables(
    conn: duckdb.DuckDBPyConnection, specs: tuple[TableSpec, ...] = TABLES
) -> list[SourceTable]:
    """Check every table against its spec and checksum it; ExportRefused on the first problem.

    Refused: a missing table, a missing, extra or retyped column, an empty table, a null value
    (the product tables are NOT NULL), a NaN or infinite score.
    """
    return [_inspect(conn, spec) for spec in specs]


def _inspect(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> SourceTable:
    table = spec.label
    actual = _column_types(conn, spec)
    if not actual:
        what = "what it is derived from" if spec.query is not None else "the table"
        raise ExportRefused(f"{table}: {what} does not exist in the warehouse")
    for column in spec.columns:
        if column.name not in actual:
            raise ExportRefused(f"{table}: column {column.name} is missing")
        if actual[column.name] != column.type:
            raise ExportRefused(
                f"{table}: column {column.name} is {actual[column.name]}, expected {column.type}"
            )
    extra = sorted(set(actual) - set(spec.column_names))
    if extra:
        raise ExportRefused(f"{table}: unexpected column(s) {', '.join(extra)} not in the spec")
    source = _source_sql(spec)
    problems = [f"count(*) - count({quoted(c)})" for c in spec.column_names]
    floats = [c.name for c in spec.columns if c.type == "FLOAT"]
    problems += [f"count(*) FILTER (WHERE NOT isfinite({quoted(c)}))" for c in floats]
    # fetchall, not fetchone: DuckDB keeps a result open until it is read to the end.
    (counts,) = conn.execute(f"SELECT {', '.join(problems)} FROM {source}").fetchall()
    labels = [(c, "null") for c in spec.column_names] + [(c, "NaN or infinite") for c in floats]
    for (name, what), n in zip(labels, counts, strict=True):
        if n:
            raise ExportRefused(f"{table}: column {name} has {n} {what} value(s)")
    result = conn.execute(f"{checksum_select(spec, 'duckdb')} FROM {source}")
    names = [d[0] for d in result.description]
    checksum = checksum_from_row(names, result.fetchall()[0])
    if checksum.rows == 0:
        raise ExportRefused(f"{table}: the table is empty")
    versions: tuple[int, ...] = ()
    if spec.has_model_version:
        versions = tuple(
            int(v)
            for (v,) in conn.execute(
                f"SELECT DISTINCT model_version FROM {source} ORDER BY 1"
            ).fetchall()
        )
    return SourceTable(spec=spec, rows=checksum.rows, checksum=checksum, model_versions=versions)


def row_batches(
    conn: duckdb.DuckDBPyConnection, spec: TableSpec, version: int, size: int = BATCH_ROWS
) -> Iterator[list[tuple]]:
    """The table's rows as tuples in spec column order, then the export version."""
    result = conn.execute(f"SELECT {_select_list(spec)}, ? FROM {_source_sql(spec)}", [version])
    while batch := result.fetchmany(size):
        yield batch


def copy_blocks(
    conn: duckdb.DuckDBPyConnection, spec: TableSpec, version: int
) -> Iterator[tuple[memoryview, int]]:
    """(bytes, rows) blocks of the table's rows plus the export version in PostgreSQL's binary
    COPY format (without the header and trailer, see binary.py).

    Encoded in a producer thread while the caller sends the previous block: reading and encoding
    the warehouse overlap with the server's COPY, which is the bottleneck.
    """
    from recsys.publish.export.binary import encode_batch

    types = [column.type for column in spec.columns]
    reader = conn.sql(f"SELECT {_select_list(spec)} FROM {_source_sql(spec)}").to_arrow_reader(
        BATCH_ROWS
    )
    blocks: queue.Queue[tuple[memoryview, int] | BaseException | None] = queue.Queue(QUEUED_BLOCKS)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in reader:
                if stop.is_set():
                    return
                blocks.put((memoryview(encode_batch(batch, types, version)), batch.num_rows))
            blocks.put(None)
        except BaseException as error:
            blocks.put(error)

    producer = threading.Thread(target=produce, name=f"export-{spec.name}", daemon=True)
    producer.start()
    try:
        while (item := blocks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while producer.is_alive():
            try:
                blocks.get_nowait()
            except queue.Empty:
                producer.join(0.05)


def _column_types(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> dict[str, str]:
    """Column name -> DuckDB type of the table, or of a derived table's query; {} when the table
    (or what the query reads) is not in the warehouse."""
    if spec.query is None:
        return dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [WAREHOUSE_SCHEMA, spec.name],
            ).fetchall()
        )
    try:
        described = conn.execute(f"DESCRIBE {spec.query}").fetchall()
    except duckdb.CatalogException:
        return {}
    except duckdb.BinderException as error:  # a column the query reads is missing or retyped
        raise ExportRefused(f"{spec.label}: {str(error).splitlines()[0]}") from None
    return {row[0]: row[1] for row in described}


def _select_list(spec: TableSpec) -> str:
    return ", ".join(quoted(c) for c in spec.column_names)


def _source_sql(spec: TableSpec) -> str:
    if spec.query is not None:
        return spec.warehouse_table
    return f"{quoted(WAREHOUSE_SCHEMA)}.{quoted(spec.name)}"
