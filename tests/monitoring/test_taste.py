"""Taste drift: readers whose topic mix moved are counted, beyond what noise and habit move."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from recsys.monitoring.taste import (
    TasteRule,
    js_divergence,
    reader_divergence,
    summarise,
    taste_drift,
)
from recsys.monitoring.windows import drift_windows

TOPICS = ["cooking", "travel", "music", "fitness"]
# Every reader reads two topics; a swap sends each reader to the pair the next reader read,
# so every reader's mix moves while the platform's mix of topics stays exactly as it was.
TASTES = [(0, 1), (2, 3), (1, 2), (3, 0)]


def counts(readers: int, events: int, seed: int, shift: int = 0) -> pd.DataFrame:
    """(user_id, topic, events): reader u reads their two topics, 80/20, `events` times."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(readers):
        first, second = TASTES[(user + shift) % len(TASTES)]
        picks = rng.choice([first, second], size=events, p=[0.8, 0.2])
        for topic, n in zip(*np.unique(picks, return_counts=True), strict=True):
            rows.append((user, TOPICS[topic], int(n)))
    return pd.DataFrame(rows, columns=["user_id", "topic", "events"])


def test_the_divergence_is_zero_for_the_same_mix_and_one_bit_for_disjoint_mixes() -> None:
    same = js_divergence(np.array([[0.5, 0.5, 0.0]]), np.array([[0.5, 0.5, 0.0]]))
    disjoint = js_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))

    assert same[0] == pytest.approx(0.0)
    assert disjoint[0] == pytest.approx(1.0)


def test_only_readers_with_enough_events_in_both_windows_are_judged() -> None:
    reference = pd.DataFrame(
        {"user_id": [1, 2, 3], "topic": ["cooking", "cooking", "travel"], "events": [12, 3, 10]}
    )
    current = pd.DataFrame(
        {"user_id": [1, 2, 3], "topic": ["travel", "cooking", "travel"], "events": [10, 20, 4]}
    )

    divergence = reader_divergence(reference, current, min_events=10)

    assert list(divergence.index) == [1]
    assert divergence.loc[1] == pytest.approx(1.0)


def test_readers_swapping_tastes_are_drift_though_the_overall_mix_stays_put() -> None:
    before = counts(200, 30, seed=1)
    control = counts(200, 30, seed=2)

    drift = summarise(before, counts(200, 30, seed=3, shift=1), control, before)

    assert drift.overall_divergence < 0.01
    assert drift.share_above > 0.9
    assert drift.drifted


def test_readers_keeping_their_tastes_are_not_drift() -> None:
    before = counts(200, 30, seed=1)

    drift = summarise(before, counts(200, 30, seed=3), counts(200, 30, seed=2), before)

    assert drift.judged
    assert drift.share_above < 0.1
    assert not drift.drifted


def test_a_share_the_control_also_shows_is_how_tastes_always_wander_not_drift() -> None:
    before = counts(200, 30, seed=1)
    moved = counts(200, 30, seed=3, shift=1)
    # Before training, readers moved just as much over the same window lengths.
    drift = summarise(before, moved, counts(200, 30, seed=2, shift=3), before)

    assert drift.share_above > 0.9
    assert drift.control_share > 0.9
    assert not drift.drifted


def test_too_few_judged_readers_are_not_judged() -> None:
    before = counts(10, 30, seed=1)

    drift = summarise(before, counts(10, 30, seed=3, shift=1), before, before)

    assert drift.share_above == 1.0
    assert not drift.judged
    assert not drift.drifted


def test_without_a_control_the_share_is_judged_against_zero() -> None:
    before = counts(200, 30, seed=1)
    empty = before.iloc[0:0]

    drift = summarise(before, counts(200, 30, seed=3, shift=1), empty, empty)

    assert drift.control_readers == 0
    assert drift.baseline == 0.0
    assert drift.drifted


def test_the_threshold_and_the_allowed_increase_are_parameters() -> None:
    before = counts(200, 30, seed=1)
    moved = counts(200, 30, seed=3, shift=1)

    lenient = summarise(before, moved, before, before, TasteRule(max_share_increase=1.0))
    blind = summarise(before, moved, before, before, TasteRule(divergence_threshold=1.0))

    assert not lenient.drifted
    assert blind.share_above == 0.0 and not blind.drifted


def warehouse_with(before: pd.DataFrame, after: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """Staged events: `before` spread over Oct 1-14, `after` over Oct 15-21, at noon."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA staging")
    conn.register("creators", pd.DataFrame({"creator_id": range(len(TOPICS)), "category": TOPICS}))
    conn.execute("CREATE TABLE staging.stg_creators AS SELECT * FROM creators")
    rows = []
    for frame, first_day, days in ((before, 1, 14), (after, 15, 7)):
        for user, topic, n in frame.itertuples(index=False):
            for i in range(n):
                at = dt.datetime(2026, 10, first_day + i % days, 12)
                rows.append((user, TOPICS.index(topic), at))
    conn.register("events", pd.DataFrame(rows, columns=["user_id", "creator_id", "event_at"]))
    conn.execute("CREATE TABLE staging.stg_events AS SELECT * FROM events")
    return conn


def test_taste_drift_reads_the_drift_windows_of_the_warehouse() -> None:
    early = counts(200, 40, seed=1)
    conn = warehouse_with(early, counts(200, 40, seed=3, shift=1))
    windows = drift_windows(dt.datetime(2026, 10, 14, 23), dt.datetime(2026, 10, 21, 12))

    assert windows is not None
    drift = taste_drift(conn, windows)

    assert drift.readers_judged == 200
    assert drift.control_readers > 0
    assert drift.drifted


def test_taste_drift_of_undrifted_days_passes() -> None:
    conn = warehouse_with(counts(200, 40, seed=1), counts(200, 40, seed=3))
    windows = drift_windows(dt.datetime(2026, 10, 14, 23), dt.datetime(2026, 10, 21, 12))

    assert windows is not None
    assert not taste_drift(conn, windows).drifted
