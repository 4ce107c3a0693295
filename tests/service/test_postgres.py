"""The same service over PostgreSQL, the production product database: the URL setting is all
that changes, and the answers are the SQLite database's. Needs the test PostgreSQL
(tests/support/export_fixtures.py); fails, never skips, when it is unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.export_fixtures import postgres_schema_url
from support.service_server import Service, running_service

from recsys.publish.export.run import export_recommendations
from recsys.settings import PRODUCT_DB_URL_VAR, Settings

UNKNOWN = 10**12


@pytest.fixture(scope="module")
def postgres_service(
    built: Settings, service: Service, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    with postgres_schema_url() as url:
        export_recommendations(built.warehouse_path, url)
        log = Path(tmp_path_factory.mktemp("pg-log")) / "service.log"
        with running_service(built.data_dir, log, extra_env={PRODUCT_DB_URL_VAR: url}) as running:
            yield running


@pytest.mark.parametrize(
    "path",
    [
        "/readers/1/creators?k=5",
        "/readers/1/feed?k=5",
        "/readers/1/history?k=5",
        f"/readers/{UNKNOWN}/creators?k=5",
        f"/readers/{UNKNOWN}/feed?k=5",
        "/creators/1/similar?k=5",
    ],
)
def test_postgresql_serves_the_answers_sqlite_serves(
    service: Service, postgres_service: Service, path: str
) -> None:
    status, from_sqlite = service.get(path)
    pg_status, from_postgres = postgres_service.get(path)
    assert (status, pg_status) == (200, 200), (from_sqlite, from_postgres)

    def items(body: dict) -> list[tuple]:
        return [(i.get("creator_id"), i.get("post_id"), i["rank"]) for i in body["items"]]

    assert items(from_postgres) == items(from_sqlite)
    assert from_postgres.get("fallback") == from_sqlite.get("fallback")


def test_postgresql_health_names_its_export_version(postgres_service: Service) -> None:
    status, health = postgres_service.get("/health")
    assert status == 200 and health["versions"]["export_version"] is not None
