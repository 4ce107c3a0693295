"""Exact conversion of one landing file to the contract's types, in DuckDB SQL over the whole file.

A value converts exactly or not at all: each (stored type, contract type) pair has one SQL
expression that yields the converted value, or NULL where the value does not convert exactly. A
file is refused when any non-NULL value comes out NULL; the message names the file, the column,
how many values and one example row. The rules:

- BIGINT: integers (any width, if in range); DECIMAL and DOUBLE/FLOAT only when every value is
  integral (and, for floats, finite and below 2^53, so no id is rounded); text only as plain
  decimal digits with an optional sign (no `15.5`, `0x2711`, `20_001`, `1,234`, spaces).
- DOUBLE: any number type, finite; text as a plain decimal or scientific number. NaN and
  infinities are refused: they are not values.
- BOOLEAN: booleans; integers 0 and 1; text true/false, t/f (PostgreSQL's COPY) or 1/0, any case.
  Anything else (`yes`, `Y`) is refused.
- TIMESTAMP (UTC, naive): naive timestamps are UTC as they are (seconds to nanoseconds, when no
  sub-microsecond digit would be lost; Parquet INT96 reads as one); TIMESTAMP WITH TIME ZONE is
  converted to its UTC instant; text as `YYYY-MM-DD[T ]HH:MM:SS[.ffffff]`, optionally with `Z` or
  an offset (`+05:00`, `+0500`, `+05`), converted to UTC. None of this depends on the session's
  or the host's time zone. Dates, epoch numbers, Excel serials and other spellings are refused.
- VARCHAR: text only (dictionary-encoded strings read as text); binary, numbers, nested values
  are refused.

Columns are matched by exact name; two columns whose names differ only in case or surrounding
space (or are equal) are ambiguous and refused, as is a contracted name present only in another
case.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys.ingest.landing import TableContract, file_format


class LandingFileError(ValueError):
    """A landing file is missing, unreadable or breaks the contract; the message names the file."""


@dataclass(frozen=True)
class TimestampBounds:
    """How far dimension timestamps may lie from the data's own dates (defaults documented in the
    README): nothing before `earliest`, nothing later than `max_ahead` past the end of the newest
    complete day of events."""

    earliest: dt.datetime = dt.datetime(2000, 1, 1)
    max_ahead: dt.timedelta = dt.timedelta(days=1)

    def window(self, as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        return self.earliest, as_of + self.max_ahead


@dataclass(frozen=True)
class FilePlan:
    """One checked file: how to read it and the SQL converting each contracted column."""

    path: Path
    reader: str
    conversions: dict[str, str]


_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_FLOAT_TYPES = {"FLOAT", "DOUBLE"}
_NAIVE_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS"}
_INTEGER_TEXT = r"[+-]?[0-9]+"
_NUMBER_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_NAIVE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
_ZONED_TEXT = _NAIVE_TEXT + r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
_TRUE_TEXT = ("true", "t", "1")
_FALSE_TEXT = ("false", "f", "0")
_EXACT_DOUBLE_INTEGER = 2**53


def check_file(
    conn: duckdb.DuckDBPyConnection,
    contract: TableContract,
    path: Path,
    timestamp_window: tuple[dt.datetime, dt.datetime] | None = None,
) -> FilePlan:
    """Check one file against the contract and return how to load it; raise LandingFileError.

    One scan of the file counts, per column, the values that do not convert exactly (and, with
    `timestamp_window`, the timestamps outside it).
    """
    where = f"Landing file {path} (table '{contract.name}')"
    if path.stat().st_size == 0:
        raise LandingFileError(f"{where} is empty (0 bytes): a partial or failed upload?")
    reader = _reader_sql(path)
    names = _column_names(path, where)
    _refuse_ambiguous(names, contract, where)
    present = _described_types(conn, reader, where)
    missing = [name for name in contract.columns if name not in names]
    if missing:
        raise LandingFileError(
            f"{where} lacks column(s) {', '.join(missing)}; the contract expects "
            f"{', '.join(contract.columns)}{_missing_hint(names, missing)}"
        )
    conversions: dict[str, str] = {}
    for name, dtype in contract.columns.items():
        source = present[name]
        # Parquet carries types: text where the contract wants numbers or times is a producer
        # bug, not a format choice (CSV is text by nature and is converted).
        typed_text = file_format(path) == "parquet" and source == "VARCHAR" and dtype != "VARCHAR"
        expression = None if typed_text else conversion_sql(_quoted(name), source, dtype)
        if expression is None:
            stored = "text" if source == "VARCHAR" else source
            raise LandingFileError(
                f"{where} stores {name} as {stored}; the contract expects {name} as {dtype}"
            )
        conversions[name] = expression
    _refuse_inexact_values(conn, contract, FilePlan(path, reader, conversions), timestamp_window)
    return FilePlan(path, reader, conversions)


def typed_select(plan: FilePlan) -> str:
    """A SELECT over one checked file yielding exactly the contract's columns and types."""
    columns = ", ".join(f"{sql} AS {_quoted(name)}" for name, sql in plan.conversions.items())
    return f"SELECT {columns} FROM {plan.reader}"


def conversion_sql(column: str, source: str, target: str) -> str | None:
    """The SQL converting `column` stored as `source` to `target` exactly (NULL where it does
    not), or None when no value of that stored type is accepted for the target."""
    if target == "BIGINT":
        if source in _INTEGER_TYPES:
            return f"TRY_CAST({column} AS BIGINT)"
        if source in _FLOAT_TYPES:
            return (
                f"CASE WHEN isfinite({column}) AND {column} = trunc({column}) "
                f"AND abs({column}) <= {_EXACT_DOUBLE_INTEGER} THEN CAST({column} AS BIGINT) END"
            )
        if source.startswith("DECIMAL"):
            return f"CASE WHEN {column} = trunc({column}) THEN TRY_CAST({column} AS BIGINT) END"
        if source == "VARCHAR":
            return (
                f"CASE WHEN regexp_full_match({column}, '{_INTEGER_TEXT}') "
                f"THEN TRY_CAST({column} AS BIGINT) END"
            )
        return None
    if target == "DOUBLE":
        if source in _INTEGER_TYPES | _FLOAT_TYPES or source.startswith("DECIMAL"):
            return f"CASE WHEN isfinite(CAST({column} AS DOUBLE)) THEN CAST({column} AS DOUBLE) END"
        if source == "VARCHAR":
            return (
                f"CASE WHEN regexp_full_match({column}, '{_NUMBER_TEXT}') "
                f"AND isfinite(TRY_CAST({column} AS DOUBLE)) THEN TRY_CAST({column} AS DOUBLE) END"
            )
        return None
    if target == "BOOLEAN":
        if source == "BOOLEAN":
            return column
        if source in _INTEGER_TYPES:
            return f"CASE {column} WHEN 1 THEN true WHEN 0 THEN false END"
        if source == "VARCHAR":
            true, false = (_sql_list(values) for values in (_TRUE_TEXT, _FALSE_TEXT))
            return (
                f"CASE WHEN lower({column}) IN ({true}) THEN true "
                f"WHEN lower({column}) IN ({false}) THEN false END"
            )
        return None
    if target == "TIMESTAMP":
        if source in _NAIVE_TIMESTAMP_TYPES:
            return f"CAST({column} AS TIMESTAMP)"
        if source == "TIMESTAMP_NS":
            return f"CASE WHEN epoch_ns({column}) % 1000 = 0 THEN CAST({column} AS TIMESTAMP) END"
        if source == "TIMESTAMP WITH TIME ZONE":
            return f"timezone('UTC', {column})"
        if source == "VARCHAR":
            return (
                f"CASE WHEN regexp_full_match({column}, '{_NAIVE_TEXT}') "
                f"THEN TRY_CAST({column} AS TIMESTAMP) "
                f"WHEN regexp_full_match({column}, '{_ZONED_TEXT}') "
                f"THEN timezone('UTC', TRY_CAST({column} AS TIMESTAMPTZ)) END"
            )
        return None
    if target == "VARCHAR":
        return column if source == "VARCHAR" else None
    raise ValueError(f"no conversion rule for contract type {target}")


def _refuse_inexact_values(
    conn: duckdb.DuckDBPyConnection,
    contract: TableContract,
    plan: FilePlan,
    window: tuple[dt.datetime, dt.datetime] | None,
) -> None:
    key = _quoted(contract.key)
    checks: list[tuple[str, str, str]] = []  # (column, condition, what is wrong)
    for name, sql in plan.conversions.items():
        dtype = contract.columns[name]
        checks.append(
            (name, f"{_quoted(name)} IS NOT NULL AND ({sql}) IS NULL",
             f"that do not convert exactly to {name} as {dtype}")
        )  # fmt: skip
        if window is not None and dtype == "TIMESTAMP":
            low, high = window
            checks.append(
                (name, f"({sql}) < TIMESTAMP '{low}' OR ({sql}) > TIMESTAMP '{high}'",
                 f"that lie outside {low:%Y-%m-%d %H:%M} .. {high:%Y-%m-%d %H:%M} (UTC)")
            )  # fmt: skip
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {condition}), "
        f"first(CAST({_quoted(name)} AS VARCHAR)) FILTER (WHERE {condition}), "
        f"first(CAST({key} AS VARCHAR)) FILTER (WHERE {condition})"
        for name, condition, _ in checks
    )
    try:
        row = conn.execute(f"SELECT {aggregates} FROM {plan.reader}").fetchone()
    except duckdb.Error as error:
        raise LandingFileError(
            f"Cannot read landing file {plan.path} (table '{contract.name}'): {error}"
        ) from error
    assert row is not None
    problems = []
    for index, (name, _, wrong) in enumerate(checks):
        count, value, example_key = row[3 * index : 3 * index + 3]
        if count:
            problems.append(
                f"{count} value(s) of {name} {wrong}, e.g. {name}={value!r} in the row with "
                f"{contract.key}={example_key!r}"
            )
    if problems:
        raise LandingFileError(
            f"Landing file {plan.path} (table '{contract.name}') has " + "; ".join(problems)
        )


def _reader_sql(path: Path) -> str:
    # File names are literal: DuckDB expands glob characters even inside a list of paths.
    literal = _sql_string(_glob_escaped(str(path)))
    if file_format(path) == "parquet":
        return f"read_parquet([{literal}])"
    # Every CSV column is read as text and converted by the contract; RFC 4180 quoting, ','
    # only, strict about ragged rows. Only an empty field is NULL ('NULL', 'N/A' are values).
    return (
        f"read_csv([{literal}], header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', strict_mode = true, null_padding = false)"
    )


def _column_names(path: Path, where: str) -> list[str]:
    """The file's column names as written (DuckDB renames duplicates, which would hide them)."""
    try:
        if file_format(path) == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            return next(csv.reader(text), [])
    except Exception as error:  # any reader failure means the file is unreadable
        raise LandingFileError(f"{_cannot_read(where)}: {error}") from error


def _described_types(conn: duckdb.DuckDBPyConnection, reader: str, where: str) -> dict[str, str]:
    try:
        described = conn.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as error:
        raise LandingFileError(f"{_cannot_read(where)}: {error}") from error
    return {str(row[0]): str(row[1]) for row in described}


def _refuse_ambiguous(names: list[str], contract: TableContract, where: str) -> None:
    by_folded: dict[str, list[str]] = {}
    for name in names:
        by_folded.setdefault(name.strip().lower(), []).append(name)
    ambiguous = [
        spellings
        for folded, spellings in by_folded.items()
        if len(spellings) > 1 and folded in {c.lower() for c in contract.columns}
    ]
    if ambiguous:
        listed = "; ".join(", ".join(repr(s) for s in spellings) for spellings in ambiguous)
        raise LandingFileError(
            f"{where} has ambiguous columns ({listed}): a contracted column must appear once, "
            "under its exact name"
        )


def _cannot_read(where: str) -> str:
    return where.replace("Landing file", "Cannot read landing file", 1)


def _missing_hint(names: list[str], missing: list[str]) -> str:
    near = {n.strip().lower(): n for n in names}
    hints = [f"{near[m]!r} is not {m!r}" for m in missing if m in near]
    if len(names) == 1 and ";" in names[0]:
        hints.append("the header has one column holding ';': CSV fields are separated by ','")
    return f" ({'; '.join(hints)}; names are exact)" if hints else ""


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(_sql_string(value) for value in values)


def _glob_escaped(path: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
