"""The blocking leak checks on the served tables find a recommended pair that is forbidden."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.recommendation_checks import recommendation_checks
from resources import Warehouse


def leak_check(table: str) -> dg.AssetChecksDefinition:
    [check] = [
        check
        for check in recommendation_checks
        if {key.name for key in check.check_keys} == {"no_opened_posts"}
        and {key.asset_key.path[-1] for key in check.check_keys} == {table}
    ]
    return check


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA staging")
        conn.execute("CREATE SCHEMA recommendations")
        # Reader 1 opened post 10 twice; reader 2 opened post 20.
        conn.execute(
            "CREATE TABLE staging.stg_events AS "
            "SELECT * FROM (VALUES (1, 10), (1, 10), (2, 20)) AS e(user_id, post_id)"
        )
        conn.execute(
            "CREATE TABLE recommendations.user_posts AS SELECT * FROM "
            "(VALUES (1, 11, 1), (2, 10, 1), (2, 21, 2)) AS t(user_id, post_id, rank)"
        )
    return Warehouse(path=str(path))


def test_a_feed_without_opened_posts_passes(warehouse: Warehouse) -> None:
    result = leak_check("user_posts")(warehouse=warehouse)

    assert result.passed
    assert result.metadata["leaked_rows"].value == 0


def test_an_opened_post_in_the_feed_fails_and_is_named(warehouse: Warehouse) -> None:
    with duckdb.connect(warehouse.path) as conn:
        conn.execute("INSERT INTO recommendations.user_posts VALUES (1, 10, 2), (2, 20, 3)")

    result = leak_check("user_posts")(warehouse=warehouse)

    assert not result.passed
    assert result.metadata["leaked_rows"].value == 2  # each once, though read twice
    assert "'post_id': 10" in result.metadata["examples"].value
