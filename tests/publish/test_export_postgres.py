"""Export to PostgreSQL, the production target: the shared contract (export_fixtures), plus
credentials that never leak, validated names, and one checksum for all three engines.

Needs PostgreSQL (CREATOR_DISCOVERY_TEST_POSTGRES_URL, default 127.0.0.1:5432/test): these tests
fail, never skip, when it is unreachable. Each test works in its own schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg
import pytest
from psycopg import sql
from support.export_fixtures import (
    ExportContract,
    TableHolder,
    build_warehouses,
    postgres_schema_url,
    product_db,
)

from recsys.publish.export import (
    ExportError,
    export_recommendations,
    export_status,
    mask_url,
    parse_target,
)
from recsys.publish.export.checksum import Checksum, checksum_from_row, checksum_select
from recsys.publish.export.tables import POSTGRES_TYPES, SQLITE_TYPES, USER_POSTS


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_warehouses(tmp_path_factory.mktemp("warehouses"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_schema_url() as url:
        yield url


class OpenReader:
    """A product reader in the middle of a transaction that has read user_posts."""

    def __init__(self, url: str) -> None:
        self.target = parse_target(url)
        self.conn = psycopg.connect(self.target.conninfo)

    def acquire(self) -> None:
        self.conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(self.target.schema, USER_POSTS.name)
            )
        )

    def release(self) -> None:
        self.conn.rollback()


class TestPostgresExport(ExportContract):
    status_after_give_up = "failed"

    @pytest.fixture
    def url(self, postgres_url: str) -> str:
        return postgres_url

    @pytest.fixture
    def holder(self, url: str) -> Iterator[TableHolder]:
        reader = OpenReader(url)
        yield reader
        reader.release()
        reader.conn.close()


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user.split(':')[0]}:{password}@{host}"))


def test_the_password_never_appears_in_results_progress_log_or_errors(
    postgres_url: str, warehouses: tuple[Path, Path]
) -> None:
    secret = "s3cr3t-Pa55"
    url = with_password(postgres_url, secret)  # trust auth: accepted and ignored
    lines: list[str] = []
    result = export_recommendations(warehouses[0], url, progress=lines.append)
    status = export_status(url)
    with product_db(postgres_url) as db:
        logged = repr(db.log())
    unreachable = f"postgresql://postgres:{secret}@127.0.0.1:1/test"
    with pytest.raises(ExportError) as failure:
        export_recommendations(warehouses[0], unreachable)
    texts = [*lines, repr(result), repr(status), logged, str(failure.value)]
    assert not [text for text in texts if secret in text]
    assert "postgres:***@" in result.url and "postgres:***@" in str(failure.value)


def test_mask_url_hides_passwords_in_the_authority_and_in_parameters() -> None:
    assert (
        mask_url("postgresql://app:pw@db:5432/p?schema=s")
        == "postgresql://app:***@db:5432/p?schema=s"
    )
    assert mask_url("postgresql://db/p?password=pw&sslmode=require") == (
        "postgresql://db/p?password=***&sslmode=require"
    )
    assert mask_url("sqlite:////srv/product.db") == "sqlite:////srv/product.db"
    assert mask_url("host=db password='p w' user=app") == "host=db password=*** user=app"
    assert "pw" not in repr(parse_target("postgresql://app:pw@db/p"))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://db/p?schema=public;drop",
        'postgresql://db/p?schema="x"',
        "postgresql://db/p?schema=Upper",
        "mysql://app:pw@db/p",
        "sqlite://app:pw@host/path.db",
        "host=db user=app password=pw",
    ],
)
def test_invalid_urls_and_schema_names_are_rejected_without_the_password(url: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_target(url)
    assert "pw" not in str(error.value)


def checksum_of(cursor, dialect: str) -> Checksum:
    cursor.execute(f"{checksum_select(USER_POSTS, dialect)} FROM t")
    return checksum_from_row([d[0] for d in cursor.description], cursor.fetchone())


def create_t(types: dict[str, str]) -> str:
    return f"CREATE TABLE t ({', '.join(f'{c.name} {types[c.type]}' for c in USER_POSTS.columns)})"


def test_checksum_is_the_same_in_duckdb_postgres_and_sqlite(postgres_url: str) -> None:
    """Awkward values: big and negative ids, scores on rounding ties (odd multiples of 1/32),
    negative and tiny scores, a float32 just below a 1e-4 boundary, non-ASCII and empty text."""
    rows = [
        (2**62, 2**40 + 7, -5, 1, 0.03125, "als", 3),
        (-17, 1_000_003, 1_000_002, 2, -0.96875, "popular_and_fresh", 3),
        (12, 0, 999_999_999_999, 20, 1e-7, "fr\u00e9sh \u2603", 3),
        (12, 5, 6, 3, 0.1235, "", 3),
        (13, 5, 6, 1, 7.5, "als", 4),
    ]
    placeholders = ", ".join("?" * len(rows[0]))
    with duckdb.connect() as conn:
        conn.execute(create_t({t: t for t in POSTGRES_TYPES}))
        conn.executemany(f"INSERT INTO t VALUES ({placeholders})", rows)
        in_duckdb = checksum_of(conn, "duckdb")
        exported = conn.execute("SELECT * FROM t").fetchall()  # float32 scores, as exported
    sqlite = sqlite3.connect(":memory:")
    sqlite.execute(create_t(SQLITE_TYPES) + " STRICT")
    sqlite.executemany(f"INSERT INTO t VALUES ({placeholders})", exported)
    in_sqlite = checksum_of(sqlite.cursor(), "sqlite")
    with psycopg.connect(parse_target(postgres_url).conninfo) as conn, conn.cursor() as cursor:
        cursor.execute(create_t(POSTGRES_TYPES).replace("CREATE TABLE", "CREATE TEMP TABLE"))
        cursor.executemany(f"INSERT INTO t VALUES ({placeholders.replace('?', '%s')})", exported)
        in_postgres = checksum_of(cursor, "postgresql")
    assert in_duckdb == in_sqlite == in_postgres
    # float32(0.1235) is 0.12349999..., so it truncates to 1234: exact terms, no rounding.
    assert in_duckdb.terms["sum_score_e4"] == 312 - 9687 + 0 + 1234 + 75000
    assert in_duckdb.terms["rows"] == 5 and in_duckdb.terms["length_source"] == 3 + 17 + 7 + 3
