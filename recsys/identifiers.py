"""SQL identifiers: the one check that a schema, table or column name is safe to splice into SQL.

Names are never bound as parameters (no database binds an identifier), so every name that reaches
a statement passes this check first. Plain lowercase names of at most 63 characters (PostgreSQL's
limit) are the only ones the project uses, in DuckDB, SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def checked_identifier(name: str) -> str:
    """`name` if it is a plain lowercase SQL identifier, else ValueError naming it."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ValueError(f"not a valid table, schema or column name: {name!r}")
    return name


def checked_table(name: str) -> str:
    """`name` if it is `schema.table` of two plain identifiers, else ValueError naming it."""
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != 2 or not all(IDENTIFIER.match(part) for part in parts):
        raise ValueError(f"not a schema.table name: {name!r}")
    return name


def quoted(name: str) -> str:
    """A checked identifier in double quotes (the same text psycopg.sql.Identifier produces)."""
    return f'"{checked_identifier(name)}"'
