"""Fresh PostgreSQL databases for tests that need a whole database (a Dagster instance, an MLflow
store), created on the test server and dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from support.export_fixtures import POSTGRES

PSYCOPG2_SCHEME = "postgresql+psycopg2"


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new database on the test server (CREATOR_DISCOVERY_TEST_POSTGRES_URL's); its SQLAlchemy
    URL with the psycopg2 driver. Dropped afterwards, even with connections still open (pools)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    server = urlsplit(POSTGRES)
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PSYCOPG2_SCHEME}://{server.netloc}/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
