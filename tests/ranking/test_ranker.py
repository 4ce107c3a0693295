"""The LightGBM lambdarank ranker: what it learns, what it trains on, and how it is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.ranking.labels import GradeScale
from recsys.ranking.ranker import (
    NoTrainingSignal,
    Ranker,
    RankerParams,
    fit_ranker,
    training_readers,
)

FEATURES = ["signal", "noise"]
PARAMS = RankerParams(n_estimators=60, min_child_samples=5, early_stopping_rounds=10)


def examples(readers: int = 200, candidates: int = 20, seed: int = 3) -> pd.DataFrame:
    """Each reader's candidates; readers engage with the ones whose `signal` is highest."""
    rng = np.random.default_rng(seed)
    n = readers * candidates
    signal = rng.random(n)
    grade = np.select([signal > 0.95, signal > 0.85], [3, 1], 0)
    return pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(readers), candidates),
            "creator_id": np.tile(np.arange(candidates), readers),
            "signal": signal.astype(np.float32),
            "noise": rng.random(n).astype(np.float32),
            "grade": grade.astype(np.int32),
        }
    )


def top_grade_share(frame: pd.DataFrame, scores: np.ndarray) -> float:
    """The share of readers whose best-scored candidate is one they engaged with most."""
    scored = frame.assign(score=scores)
    best = scored.loc[scored.groupby("user_id")["score"].idxmax()]
    most = scored.groupby("user_id")["grade"].max()
    return float((best.set_index("user_id")["grade"] == most).mean())


def test_the_ranker_learns_to_put_what_readers_engage_with_first() -> None:
    train, unseen = examples(seed=3), examples(seed=4)

    ranker = fit_ranker(train, FEATURES, PARAMS)

    assert top_grade_share(unseen, ranker.predict(unseen)) > 0.9
    assert top_grade_share(unseen, unseen["noise"].to_numpy()) < 0.5
    importances = ranker.importances()
    assert importances.index[0] == "signal"
    assert importances.sum() == pytest.approx(1.0)


def test_a_saved_ranker_scores_exactly_as_the_fitted_one(tmp_path: Path) -> None:
    frame = examples()
    ranker = fit_ranker(frame, FEATURES, PARAMS)

    loaded = Ranker.load(ranker.save(tmp_path / "model"))

    assert loaded.features == FEATURES
    np.testing.assert_array_equal(loaded.predict(frame), ranker.predict(frame))


def test_the_same_examples_and_seed_fit_the_same_ranker() -> None:
    frame = examples()

    first, second = fit_ranker(frame, FEATURES, PARAMS), fit_ranker(frame, FEATURES, PARAMS)

    np.testing.assert_array_equal(first.predict(frame), second.predict(frame))


def test_only_readers_who_engaged_train_and_at_most_the_cap_a_seeded_draw() -> None:
    frame = examples(readers=50)
    engaged = set(frame.loc[frame["grade"] > 0, "user_id"])
    frame.loc[frame["user_id"] == min(engaged), "grade"] = 0

    everyone = training_readers(frame, RankerParams(max_training_readers=1_000))
    capped = training_readers(frame, RankerParams(max_training_readers=10, seed=1))

    assert set(everyone) == engaged - {min(engaged)}
    assert len(capped) == 10 and set(capped) <= set(everyone)
    np.testing.assert_array_equal(
        capped, training_readers(frame, RankerParams(max_training_readers=10, seed=1))
    )


def test_without_any_engagement_there_is_nothing_to_learn() -> None:
    frame = examples().assign(grade=0)

    with pytest.raises(NoTrainingSignal):
        fit_ranker(frame, FEATURES, PARAMS)


def test_grades_grow_with_engagement_and_stay_below_lambdarank_s_limit() -> None:
    scale = GradeScale(max_grade=4)
    # One view (weight 1), one read (3), a read and a like (3 + 4), a heavy reader.
    engagement = pd.Series([1.0, 3.0, 7.0, 500.0])

    assert scale.grades(engagement).tolist() == [1, 2, 3, 4]
    assert GradeScale(max_grade=30).grades(pd.Series([1e12])).max() < 31
