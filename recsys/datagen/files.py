"""Arrow tables shaped exactly like the landing contract, written atomically as Parquet."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from recsys.ingest.landing import TableContract

ARROW_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}


def contract_schema(contract: TableContract) -> pa.Schema:
    """The Arrow schema of a landing table, column for column."""
    return pa.schema([(name, ARROW_TYPES[sql]) for name, sql in contract.columns.items()])


def contract_table(contract: TableContract, columns: dict[str, pa.Array | object]) -> pa.Table:
    """A table with the contract's columns in order, cast to the contract's types."""
    if set(columns) != set(contract.columns):
        raise ValueError(f"{contract.name}: got {sorted(columns)}, want {list(contract.columns)}")
    schema = contract_schema(contract)
    arrays = [_as_arrow(columns[field.name]).cast(field.type) for field in schema]
    return pa.table(arrays, schema=schema)


def _as_arrow(values: pa.Array | object) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values)


def _temporary(path: Path) -> Path:
    # A hidden name with a non-data suffix: landing readers skip it until the rename.
    return path.with_name(f".{path.name}.tmp")


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a whole table to `path` via a temporary file renamed into place."""
    write_parquet_batches([table], table.schema, path)


def write_parquet_batches(tables: Iterable[pa.Table], schema: pa.Schema, path: Path) -> None:
    """Stream tables into one Parquet file, visible at `path` only once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    with pq.ParquetWriter(temporary, schema) as writer:
        for table in tables:
            writer.write_table(table)
    os.replace(temporary, path)


def touch(path: Path) -> None:
    """Create an empty marker file (written last, so its presence means the folder is complete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
