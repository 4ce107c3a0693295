"""An order-independent checksum of a table, computed by the same SQL in DuckDB, PostgreSQL and
SQLite, so the product copy is checked against the warehouse without moving rows back.

Every term is an integer and compared exactly:
- `rows`: count(*). Catches lost or duplicated rows (a truncated or repeated COPY block).
- `sum_<c>` for every integer column: sum(c % 1000003). Catches a changed, shifted or truncated id,
  rank or model version. The modulus keeps the sums inside SQLite's 64-bit integers.
- `sum_<id>_x_rank` for every BIGINT column: sum((id % 1000003) * rank). Catches values that moved
  between rows (misaligned columns, a rank attached to another user) though each column's sum is
  unchanged.
- `sum_<score>_e4`: sum(trunc(score * 10^4)). A float32 times 10^4 is exact in double precision and
  a sum of integer-valued doubles below 2^53 is exact in any order, so all three engines agree to
  the unit. Catches scores lost, zeroed, or changed by 1e-4 or more (stored at lower precision).
- `length_<text>`: sum(length(text)). Catches truncated or emptied strings.
Not caught: a permutation of whole values that keeps every sum (two rows of the same rank
exchanging scores), a score change below 1e-4, a text replaced by another of the same length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from recsys.identifiers import quoted
from recsys.publish.export.tables import INTEGER_TYPES, TableSpec

MODULUS = 1_000_003
TRUNCATED_SCORE = {
    "duckdb": "trunc(CAST({c} AS DOUBLE) * 10000)",
    "postgresql": "trunc(CAST({c} AS double precision) * 10000)",
    "sqlite": "CAST({c} * 10000 AS INTEGER)",
}


@dataclass(frozen=True)
class Checksum:
    """Named integer aggregates of one table."""

    terms: Mapping[str, int]

    @property
    def rows(self) -> int:
        return int(self.terms["rows"])

    def differences(self, other: Checksum) -> list[str]:
        """Each term that does not match, as `name: self != other`."""
        return [
            f"{name}: {self.terms.get(name)} != {other.terms.get(name)}"
            for name in sorted(self.terms.keys() | other.terms.keys())
            if self.terms.get(name) != other.terms.get(name)
        ]

    def matches(self, other: Checksum) -> bool:
        return not self.differences(other)

    def to_json(self) -> dict[str, int]:
        return dict(self.terms)


def checksum_select(spec: TableSpec, dialect: str) -> str:
    """The checksum query without its FROM clause; the same term names in every dialect."""
    terms = [f"count(*) AS {quoted('rows')}"]
    for column in spec.columns:
        c = quoted(column.name)
        if column.type in INTEGER_TYPES:
            terms.append(f"sum({c} % {MODULUS}) AS {quoted('sum_' + column.name)}")
        if column.type == "BIGINT":
            mixed = quoted(f"sum_{column.name}_x_rank")
            terms.append(f"sum(({c} % {MODULUS}) * {quoted('rank')}) AS {mixed}")
        if column.type == "FLOAT":
            truncated = TRUNCATED_SCORE[dialect].format(c=c)
            terms.append(f"sum({truncated}) AS {quoted('sum_' + column.name + '_e4')}")
        if column.type == "VARCHAR":
            terms.append(f"sum(length({c})) AS {quoted('length_' + column.name)}")
    return "SELECT " + ", ".join(terms)


def checksum_from_row(names: list[str], row: tuple) -> Checksum:
    """A Checksum from the query's result row, whatever number types the driver returned
    (DuckDB HUGEINT and DOUBLE, PostgreSQL numeric and float8, SQLite int)."""
    return Checksum({name: int(value or 0) for name, value in zip(names, row, strict=True)})
