"""reader_recent_posts: each reader's latest opened posts, derived from the events by the export
and shipped like the recommendation tables (versioned, swapped atomically, rolled back), to
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from support.export_fixtures import (
    assert_one_complete_version,
    postgres_schema_url,
    product_db,
    sqlite_url_in,
)

from bench.synthetic_export import write_synthetic_tables
from recsys.publish.export import (
    ExportRefused,
    export_recommendations,
    product_tables,
    rollback_recommendations,
)
from recsys.settings import READER_HISTORY_POSTS_VAR, Settings

# (user, post, creator, event type, when): reader 1 opened five posts, post 10 twice; reader 2 one.
EVENTS = [
    (1, 10, 100, "view", "2026-09-01 08:00:00"),
    (1, 11, 100, "read", "2026-09-02 08:00:00"),
    (1, 12, 101, "view", "2026-09-03 08:00:00"),
    (1, 10, 100, "like", "2026-09-04 08:00:00"),
    (1, 13, 101, "read", "2026-09-05 08:00:00"),
    (1, 14, 102, "share", "2026-09-05 08:00:00"),
    (2, 12, 101, "read", "2026-09-02 09:30:00"),
]


def warehouse_with_events(path: Path, events: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as conn:
        write_synthetic_tables(conn, users=40, seed=3)
        conn.execute("DELETE FROM staging.stg_events")
        conn.executemany(
            "INSERT INTO staging.stg_events (user_id, post_id, creator_id, event_type, event_at) "
            "VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP))",
            events,
        )
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_in(tmp_path)
    else:
        with postgres_schema_url() as schema_url:
            yield schema_url


def history(url: str) -> list[tuple]:
    with product_db(url) as db:
        return db.conn.execute(
            "SELECT user_id, rank, post_id, creator_id, opened_at, event_types, export_version "
            f"FROM {db.name('reader_recent_posts')} ORDER BY user_id, rank"
        ).fetchall()


def test_each_readers_latest_opened_posts_are_exported_latest_first(
    url: str, tmp_path: Path
) -> None:
    warehouse = warehouse_with_events(tmp_path / "w.duckdb", EVENTS)

    result = export_recommendations(warehouse, url, specs=product_tables(3))

    assert result.row_counts["reader_recent_posts"] == 4
    assert "reader_recent_posts" not in result.model_versions
    assert history(url) == [
        # The same moment: the higher post id first; a post opened twice counts its last event.
        (1, 1, 14, 102, "2026-09-05T08:00:00Z", "share", 1),
        (1, 2, 13, 101, "2026-09-05T08:00:00Z", "read", 1),
        (1, 3, 10, 100, "2026-09-04T08:00:00Z", "like,view", 1),
        (2, 1, 12, 101, "2026-09-02T09:30:00Z", "read", 1),
    ]
    assert_one_complete_version(url)


def test_new_events_make_a_new_version_and_a_rollback_restores_the_old_history(
    url: str, tmp_path: Path
) -> None:
    before = warehouse_with_events(tmp_path / "before.duckdb", EVENTS)
    later = [*EVENTS, (2, 15, 102, "view", "2026-09-06 07:00:00")]
    after = warehouse_with_events(tmp_path / "after.duckdb", later)
    export_recommendations(before, url, specs=product_tables(3))

    second = export_recommendations(after, url, specs=product_tables(3))

    assert (second.status, second.version) == ("succeeded", 2)
    assert [row[:3] for row in history(url) if row[0] == 2] == [(2, 1, 15), (2, 2, 12)]
    assert {row[-1] for row in history(url)} == {2}
    rollback_recommendations(url)
    assert [row[:3] for row in history(url) if row[0] == 2] == [(2, 1, 12)]
    assert {row[-1] for row in history(url)} == {1}


def test_without_events_the_export_is_refused_and_the_product_database_untouched(
    tmp_path: Path,
) -> None:
    url = sqlite_url_in(tmp_path)
    warehouse = warehouse_with_events(tmp_path / "w.duckdb", EVENTS)
    export_recommendations(warehouse, url)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("DROP TABLE staging.stg_events")

    with pytest.raises(ExportRefused, match=r"reader_recent_posts .*staging\.stg_events"):
        export_recommendations(warehouse, url)
    assert assert_one_complete_version(url).version == 1


def test_the_posts_per_reader_is_a_setting_of_at_least_one() -> None:
    assert Settings.from_env({}).reader_history_posts == 10
    assert Settings.from_env({READER_HISTORY_POSTS_VAR: "25"}).reader_history_posts == 25
    with pytest.raises(ValueError, match=READER_HISTORY_POSTS_VAR):
        Settings.from_env({READER_HISTORY_POSTS_VAR: "0"})
