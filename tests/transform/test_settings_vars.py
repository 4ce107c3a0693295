"""The settings reach dbt: the bot threshold, the holdout, the new-creator and recent-activity
windows, each passed as a var by the dbt assets (assets.dbt.dbt_vars over resources.History) and
measured from the data's own latest event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.dbt_harness import query, run_dbt, write_raw_schema

from assets.dbt import dbt_vars
from recsys.settings import Settings
from resources import History

LATEST = dt.datetime(2026, 3, 20, 12)


def event(event_id: int, user_id: int, post_id: int, at: dt.datetime) -> tuple[object, ...]:
    return (event_id, user_id, post_id, "read", at, 30.0, at.date())


ROWS: dict[str, list[tuple[object, ...]]] = {
    "users": [(1, dt.datetime(2026, 1, 1), "US"), (2, dt.datetime(2026, 1, 1), "FR")],
    "creators": [
        (10, "Ada", "tech", dt.datetime(2025, 1, 1)),
        (20, "Bo", "food", dt.datetime(2026, 3, 10)),
    ],
    "posts": [
        (100, 10, "Intro", "hello", dt.datetime(2026, 2, 1), False),
        (200, 20, "Bread", "flour", dt.datetime(2026, 3, 11), False),
    ],
    "subscriptions": [(1, 1, 10, "free", dt.datetime(2026, 1, 1), None)],
    "events": [
        # Reader 1: four events on March 12, a bot under a threshold of 3, a reader under 500.
        *(event(1 + i, 1, 100, dt.datetime(2026, 3, 12, 10, i)) for i in range(4)),
        # Reader 2: one event a day from March 5 to the latest event.
        *(event(10 + d, 2, 100 + 100 * (d % 2), dt.datetime(2026, 3, 5 + d, 9)) for d in range(15)),
        event(99, 2, 200, LATEST),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("settings_vars")
    warehouse = work / "warehouse.duckdb"
    write_raw_schema(warehouse, ROWS)
    settings = Settings.from_env(
        {
            "CREATOR_DISCOVERY_BOT_MAX_EVENTS_PER_DAY": "3",
            "CREATOR_DISCOVERY_HOLDOUT_DAYS": "3",
            "CREATOR_DISCOVERY_NEW_CREATOR_DAYS": "5",
            "CREATOR_DISCOVERY_RECENT_ACTIVITY_DAYS": "2",
        }
    )
    chosen = dbt_vars(str(warehouse), {}, History.from_settings(settings).dbt_vars())
    run = run_dbt("build", warehouse, work, chosen)
    assert not any("stg_bot_users" in node for node in run.failed_nodes()), run.output
    return warehouse


def test_the_bot_threshold_setting_reaches_stg_bot_users(built: Path) -> None:
    assert query(built, "select user_id, max_events_per_day from staging.stg_bot_users") == [(1, 4)]
    assert query(built, "select count(*) from staging.stg_events where user_id = 1") == [(0,)]


def test_the_holdout_setting_sets_the_cutoff_from_the_latest_event(built: Path) -> None:
    [(cutoff, days)] = query(built, "select cutoff_at, holdout_days from marts.split_cutoff")

    assert days == 3
    assert cutoff == dt.datetime(2026, 3, 18)  # three whole days up to the latest event's


def test_the_new_creator_setting_measures_from_the_latest_event(built: Path) -> None:
    # Bo joined ten days before the latest event: new within 30 days, not within 5.
    assert query(built, "select creator_id, is_new from marts.creator_features order by 1") == [
        (10, False),
        (20, False),
    ]


def test_the_recent_activity_setting_counts_the_days_before_the_latest_event(built: Path) -> None:
    # Two days before the latest event (March 18, 12:00): reader 2's read of March 19 (Ada's
    # post) and of the latest event (Bo's); March 18, 09:00 is outside. Reader 1 is a bot.
    recent = (
        "select creator_id, n_events_recent, n_distinct_readers_recent from marts.creator_features"
    )

    assert query(built, f"{recent} order by 1") == [(10, 1, 1), (20, 1, 1)]
