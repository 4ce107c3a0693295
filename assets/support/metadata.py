"""Asset metadata: a table's row count and column schema, and metrics rounded for reading."""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from recsys.warehouse import table_schema


def describe_table(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """Metadata that makes the UI show a table's size and columns (table given as schema.name)."""
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    columns = [dg.TableColumn(name=name, type=dtype) for name, dtype in table_schema(conn, table)]
    return {
        "dagster/row_count": dg.MetadataValue.int(int(row[0]) if row else 0),
        "dagster/column_schema": dg.MetadataValue.table_schema(dg.TableSchema(columns=columns)),
        "dagster/table_name": dg.MetadataValue.text(table),
    }


# What a person reads in the UI; MLflow keeps the full precision.
SHOWN_DIGITS = 4


def rounded(value: float, digits: int = SHOWN_DIGITS) -> float:
    """A metric as shown in the UI, rounded to `digits` decimals (NaN stays NaN)."""
    return round(float(value), digits)


def rounded_all(values: dict[str, float], digits: int = SHOWN_DIGITS) -> dict[str, float]:
    return {name: rounded(value, digits) for name, value in values.items()}
