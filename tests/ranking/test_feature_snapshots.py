"""The point-in-time feature snapshots (dbt models/features) and the join that reads them.

A reader ranked at noon on March 5 must see the platform as it stood at the end of March 4: not
the events of that morning (their day's snapshot is not over yet), nor anything later. The
incremental builds must write exactly what a full build writes.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.dbt_harness import DbtRun, query, run_dbt, write_raw_schema

from recsys.ranking.features import FeatureParams, point_in_time_features

LABEL_TS = dt.datetime(2026, 3, 5, 12)
SNAPSHOTS = ("user_snapshots", "creator_snapshots", "user_creator_snapshots")


def ts(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour)


def event(event_id: int, user_id: int, post_id: int, kind: str, at: dt.datetime) -> tuple:
    return (event_id, user_id, post_id, kind, at, 10.0, at.date())


# Creators 10 and 30 write about food, 20 about travel; one post each, all on March 1.
DIMENSIONS: dict[str, list[tuple]] = {
    "users": [(user, ts(1), "US") for user in (1, 2, 3)],
    "creators": [
        (10, "Ada", "food", ts(1)),
        (20, "Bo", "travel", ts(1)),
        (30, "Cy", "food", ts(1)),
    ],
    "posts": [(10 * c, c, f"post of {c}", "text", ts(1), False) for c in (10, 20, 30)],
    "subscriptions": [],
}
# Reader 1 reads creator 10 before the label time, likes 20 on the morning of its day, and meets
# 30 the day after; reader 2 meets 10 on March 4 and 30 on the morning of March 5.
PAST = [
    event(1, 1, 100, "view", ts(2, 10)),
    event(2, 1, 100, "read", ts(3, 10)),
    event(3, 2, 100, "view", ts(4, 12)),
    event(4, 1, 200, "like", ts(5, 9)),
    event(5, 2, 300, "read", ts(5, 8)),
]
FUTURE = [
    event(6, 1, 300, "view", ts(6, 10)),
    event(7, 1, 300, "share", ts(7, 10)),
    event(8, 3, 300, "view", ts(7, 11)),
]
# Delivered late, for a day already built: a third event of reader 1 on March 3.
LATE = [event(9, 1, 200, "view", ts(3, 15))]


def rows(events: list[tuple]) -> dict[str, list[tuple]]:
    return {**DIMENSIONS, "events": events}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Full builds of the whole history, of the past only and of the late delivery, and one
    warehouse built day by day: the past, then the future, then the late event."""
    steps = {
        "full": [rows(PAST + FUTURE)],
        "past_only": [rows(PAST)],
        "full_with_late": [rows(PAST + FUTURE + LATE)],
        "incremental": [rows(PAST), rows(PAST + FUTURE), rows(PAST + FUTURE + LATE)],
    }
    folders = {name: tmp_path_factory.mktemp(name) for name in steps}

    def build(name: str) -> list[tuple[Path, DbtRun]]:
        warehouse = folders[name] / "warehouse.duckdb"
        runs = []
        for step, raw in enumerate(steps[name]):
            write_raw_schema(warehouse, raw)
            runs.append(run_dbt("build", warehouse, folders[name] / f"step{step}"))
        return [(warehouse, run) for run in runs]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(steps, pool.map(build, steps), strict=True))
    for name, runs in results.items():
        for _, run in runs:
            failed = [
                node for node in run.failed_nodes() if "features" in node or "snapshots" in node
            ]
            assert failed == [], f"{name}: {failed}\n{run.output[-3000:]}"
    return {name: runs[-1][0] for name, runs in results.items()}


def snapshot(warehouse: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(f"SELECT * FROM features.{name} ORDER BY ALL").df()


def features_at(warehouse: Path, pairs: list[tuple[int, int]], label_ts: dt.datetime):
    candidates = pd.DataFrame(
        {
            "user_id": [user for user, _ in pairs],
            "creator_id": [creator for _, creator in pairs],
            "label_ts": pd.Timestamp(label_ts),
        }
    )
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return point_in_time_features(conn, candidates, FeatureParams(recent_days=2.0))


PAIRS = [(1, 30), (1, 20), (2, 20), (3, 10)]


def test_nothing_after_the_label_time_reaches_a_feature(builds: dict[str, Path]) -> None:
    with_future = features_at(builds["full"], PAIRS, LABEL_TS)
    without_future = features_at(builds["past_only"], PAIRS, LABEL_TS)

    pd.testing.assert_frame_equal(with_future, without_future)
    # The latest snapshot knows reader 1 met creator 30 and 20 twice: a leak would show it.
    latest = features_at(builds["full"], PAIRS, ts(9))
    assert latest.loc[0, "reader_events"] != with_future.loc[0, "reader_events"]
    assert latest.loc[0, "creator_readers"] != with_future.loc[0, "creator_readers"]


def test_the_label_days_own_events_wait_for_the_end_of_their_day(builds: dict[str, Path]):
    at_noon = features_at(builds["full"], PAIRS, LABEL_TS).set_index(["user_id", "creator_id"])

    # Reader 1's like of the morning of March 5 is not counted; their two earlier events are.
    assert at_noon.loc[(1, 30), "reader_events"] == 2
    assert at_noon.loc[(1, 30), "reader_creators"] == 1
    # Creator 30's first reader came that morning: as of noon it has none yet.
    assert at_noon.loc[(1, 30), "creator_readers"] == 0
    assert at_noon.loc[(3, 10), "creator_readers"] == 2
    # Reader 3 had done nothing by then; creator 10's last two days hold one new reader.
    assert pd.isna(at_noon.loc[(3, 10), "reader_events"])
    assert at_noon.loc[(3, 10), "creator_new_readers_recent"] == 1
    # All reader 1's history is with food (creator 10): travel (creator 20) has no share.
    assert at_noon.loc[(1, 30), "reader_category_share"] == 1.0
    assert at_noon.loc[(1, 20), "reader_category_share"] == 0.0


def test_a_day_by_day_build_writes_what_a_full_build_writes(builds: dict[str, Path]) -> None:
    for name in SNAPSHOTS:
        pd.testing.assert_frame_equal(
            snapshot(builds["incremental"], name), snapshot(builds["full_with_late"], name)
        )


def test_a_late_event_rebuilds_its_day_and_the_days_after(builds: dict[str, Path]) -> None:
    [(events,)] = query(
        builds["incremental"],
        "SELECT n_events FROM features.user_snapshots "
        "WHERE user_id = 1 AND as_of_day = '2026-03-07'",
    )
    [(weights,)] = query(
        builds["incremental"],
        "SELECT weighted_events FROM features.user_creator_snapshots "
        "WHERE user_id = 1 AND creator_id = 20 AND as_of_day = '2026-03-05'",
    )

    assert events == len([e for e in PAST + FUTURE + LATE if e[1] == 1])
    assert weights == 1.0 + 4.0, "the late view, then the like"
