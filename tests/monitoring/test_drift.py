"""Drift between a reference and a current window: found when the topic mix moves, not otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.monitoring.drift import drift_report

TOPICS = ["cooking", "fitness", "travel", "music"]


def events(rows: int, topic_mix: list[float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "category": rng.choice(TOPICS, rows, p=topic_mix),
            "event_type": rng.choice(["view", "read", "like"], rows, p=[0.6, 0.3, 0.1]),
            "dwell_seconds": rng.lognormal(3.0, 1.0, rows),
            "hour": rng.integers(0, 24, rows),
        }
    )


def test_a_shifted_topic_mix_is_drift_and_names_the_column(tmp_path: Path) -> None:
    reference = events(5_000, [0.4, 0.3, 0.2, 0.1], seed=1)
    current = events(5_000, [0.1, 0.2, 0.3, 0.4], seed=2)

    result = drift_report(reference, current, tmp_path / "drift.html")

    assert result.drifted
    assert result.drifted_columns == ["category"]
    assert result.drift_share == 0.25
    assert result.scores["category"] > result.scores["event_type"]
    assert result.report_path.stat().st_size > 10_000


def test_two_windows_of_the_same_process_are_not_drift(tmp_path: Path) -> None:
    mix = [0.4, 0.3, 0.2, 0.1]

    result = drift_report(events(5_000, mix, 1), events(5_000, mix, 2), tmp_path / "d.html")

    assert not result.drifted
    assert result.drifted_columns == []


def test_large_windows_are_sampled_to_a_bounded_size(tmp_path: Path) -> None:
    mix = [0.4, 0.3, 0.2, 0.1]

    result = drift_report(
        events(50_000, mix, 1), events(50_000, mix, 2), tmp_path / "d.html", sample_rows=2_000
    )

    assert not result.drifted
