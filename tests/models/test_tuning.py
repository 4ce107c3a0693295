"""The ALS search: a validation split inside train, trial 0 the defaults, determinism, MLflow."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from recsys.models.als import AlsParams
from recsys.models.store import ArtifactStore
from recsys.models.tracking import TrackingConfig, nested_runs
from recsys.models.tuning import (
    ALL_AGGREGATE_SQL,
    TRAIN_AGGREGATE_SQL,
    SearchBudget,
    TunedConfig,
    Weighting,
    half_life_range,
    pair_strength,
    read_event_aggregate,
    restrengthened,
    run_search,
    tune_als,
    validation_split,
    warehouse_pair_strength,
)

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

WEIGHTS = {"view": 1.0, "read": 3.0, "like": 4.0, "comment": 5.0, "share": 6.0}
DBT_WEIGHTING = Weighting(14.0, WEIGHTS)
START = pd.Timestamp("2026-09-01")
DAYS = 40
HOLDOUT_DAYS = 7
CUTOFF = START + pd.Timedelta(days=DAYS - HOLDOUT_DAYS)
# Small and quick: a few trials of small fits.
BUDGET = SearchBudget(trials=4, timeout_seconds=600, seed=3, validation_days=7)


def generated_events(seed: int = 0) -> pd.DataFrame:
    """400 users, each reading creators of one or two of 5 topics (8 creators each) over 40 days."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(400):
        topics = rng.choice(5, size=rng.integers(1, 3), replace=False)
        for _ in range(rng.integers(8, 30)):
            creator = int(rng.choice(topics)) * 8 + int(rng.integers(0, 8))
            at = START + pd.Timedelta(seconds=int(rng.integers(0, DAYS * 86_400)))
            rows.append((user, creator, str(rng.choice(list(WEIGHTS))), at))
    return pd.DataFrame(rows, columns=["user_id", "creator_id", "event_type", "event_at"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return generated_events()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, events: pd.DataFrame) -> Path:
    """stg_events and a global-cutoff interactions_train, as the dbt models shape them."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA staging; CREATE SCHEMA marts")
        conn.register("events_frame", events)
        conn.execute("CREATE TABLE staging.stg_events AS SELECT * FROM events_frame")
        conn.execute(
            """
            CREATE TABLE marts.interactions_train AS
            SELECT user_id, creator_id, count(*) AS n_events, 0.0 AS strength,
                   max(event_at) AS last_event_at, ?::TIMESTAMP AS cutoff_at
            FROM staging.stg_events WHERE event_at < ? GROUP BY ALL
            """,
            [CUTOFF, CUTOFF],
        )
    return path


@pytest.fixture(scope="module")
def aggregate(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return read_event_aggregate(conn)


def test_validation_split_lies_inside_train_after_the_tuning_train_part(
    aggregate: pd.DataFrame, events: pd.DataFrame
) -> None:
    split = validation_split(aggregate, validation_days=7)

    holdout_pairs = events.loc[events["event_at"] >= CUTOFF, ["user_id", "creator_id"]]
    train_pairs = events.loc[events["event_at"] < CUTOFF, ["user_id", "creator_id"]]
    holdout_only = holdout_pairs.merge(train_pairs, how="left", indicator=True)
    holdout_only = holdout_only[holdout_only["_merge"] == "left_only"].drop(columns="_merge")
    assert pd.to_datetime(aggregate["event_day"]).max() < CUTOFF
    assert split.cutoff == CUTOFF - pd.Timedelta(days=7)
    assert pd.to_datetime(split.train["event_day"]).max() < split.cutoff
    assert not split.relevant.empty
    assert split.relevant.merge(holdout_only).empty, "no holdout interaction is validated"
    # Relevant: creators first met within the validation days, by users the tuning fit knows.
    first_met = train_pairs.assign(at=events["event_at"]).groupby(["user_id", "creator_id"]).min()
    met = split.relevant.merge(first_met.reset_index(), on=["user_id", "creator_id"])
    assert len(met) == len(split.relevant) and (met["at"] >= split.cutoff).all()
    assert set(split.relevant["user_id"]) <= set(split.train["user_id"])


def test_recomputed_strength_matches_the_dbt_definition_per_event(
    aggregate: pd.DataFrame, events: pd.DataFrame
) -> None:
    train = events[events["event_at"] < CUTOFF]
    age = (CUTOFF - train["event_at"]).dt.total_seconds() / 86_400
    per_event = train["event_type"].map(WEIGHTS) * np.power(0.5, age / 14.0)
    expected = per_event.groupby([train["user_id"], train["creator_id"]]).sum()

    strength = pair_strength(aggregate, DBT_WEIGHTING).set_index(["user_id", "creator_id"])

    np.testing.assert_allclose(
        strength["strength"].to_numpy(), expected.loc[strength.index].to_numpy(), rtol=2e-3
    )


def test_restrengthened_keeps_the_rows_and_replaces_the_strength(
    aggregate: pd.DataFrame, warehouse: Path
) -> None:
    frame = pair_strength(aggregate, DBT_WEIGHTING).assign(strength=-1.0, other=5)

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        out = restrengthened(frame, conn, True, 3.0)

    assert list(out.columns) == list(frame.columns) and len(out) == len(frame)
    assert (out["strength"] > 0).all() and (out["other"] == 5).all()


@pytest.mark.parametrize("train_only", [True, False])
def test_the_warehouse_sums_the_same_strength_as_the_aggregate(
    warehouse: Path, train_only: bool
) -> None:
    weighting = replace(DBT_WEIGHTING, half_life_days=3.0)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        in_sql = warehouse_pair_strength(conn, train_only, weighting)
        sql = TRAIN_AGGREGATE_SQL if train_only else ALL_AGGREGATE_SQL
        rows = conn.execute(sql, {"seed": 0, "max_users": None} if train_only else None).df()
    in_pandas = pair_strength(rows, weighting)

    merged = in_pandas.merge(in_sql, on=["user_id", "creator_id"], validate="one_to_one")
    assert len(merged) == len(in_pandas) == len(in_sql)
    np.testing.assert_allclose(merged["strength_x"], merged["strength_y"], rtol=1e-9)


def test_the_search_reads_a_seeded_sample_of_users_above_its_cap(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        everyone = read_event_aggregate(conn)
        sample = read_event_aggregate(conn, max_users=50, seed=7)
        again = read_event_aggregate(conn, max_users=50, seed=7)
        other_seed = read_event_aggregate(conn, max_users=50, seed=8)
        above_count = read_event_aggregate(conn, max_users=10_000, seed=7)

    assert sample["user_id"].nunique() == 50
    pd.testing.assert_frame_equal(sample, again)
    assert set(sample["user_id"]) != set(other_seed["user_id"])
    # A sampled user keeps every one of their rows.
    kept = everyone[everyone["user_id"].isin(sample["user_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(sample, kept)
    pd.testing.assert_frame_equal(above_count, everyone)


def test_trial_zero_is_the_defaults_and_the_best_scores_at_least_as_well(
    aggregate: pd.DataFrame,
) -> None:
    defaults = AlsParams()

    result = tune_als(aggregate, defaults, DBT_WEIGHTING, BUDGET)

    assert result.trials[0].config == TunedConfig(defaults, DBT_WEIGHTING.half_life_days)
    assert result.default_score == result.trials[0].score
    assert len(result.trials) == BUDGET.trials and result.tuned
    assert result.best_score >= result.default_score
    assert result.best_score == max(t.score for t in result.trials if t.config == result.best)


def test_zero_trials_give_exactly_the_defaults(aggregate: pd.DataFrame) -> None:
    result = tune_als(aggregate, AlsParams(), DBT_WEIGHTING, replace(BUDGET, trials=0))

    assert not result.tuned and result.trials == []
    assert result.best == TunedConfig(AlsParams(), DBT_WEIGHTING.half_life_days)


def test_a_seeded_search_is_deterministic(aggregate: pd.DataFrame) -> None:
    first = tune_als(aggregate, AlsParams(), DBT_WEIGHTING, BUDGET)
    second = tune_als(aggregate, AlsParams(), DBT_WEIGHTING, BUDGET)

    columns = ["number", "score", "factors", "regularization", "iterations", "alpha"]
    pd.testing.assert_frame_equal(first.trials_frame()[columns], second.trials_frame()[columns])
    assert first.best == second.best


def test_the_half_life_is_searched_over_the_windows_own_span() -> None:
    assert half_life_range(32.0) == (1.0, 64.0)
    low, high = half_life_range(3 * 365.0)
    assert low > 30 and high > 2 * 365


def test_the_search_is_one_parent_mlflow_run_with_a_nested_run_per_trial(
    warehouse: Path, tmp_path: Path
) -> None:
    tracking = TrackingConfig.local(tmp_path / "mlflow")
    store = ArtifactStore(tmp_path / "models")

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        outcome = run_search(conn, BUDGET, tracking, store)
        again = run_search(conn, BUDGET, tracking, store)

    children = nested_runs(tracking, outcome.run_id)
    assert len(children) == BUDGET.trials == len(outcome.trials)
    assert set(children["status"]) == {"FINISHED"}
    assert sorted(outcome.trials["number"]) == list(range(BUDGET.trials))
    handoff = store.read_tuning_handoff()
    assert handoff.run_id == outcome.run_id and handoff.tuned
    assert handoff.params.factors == outcome.best["factors"]
    # The same inputs and budget: the finished search is reused, not run again.
    assert again.reused_run == outcome.run_id and again.best == outcome.best


def test_zero_trials_hand_the_defaults_to_the_holdout_twin(warehouse: Path, tmp_path: Path) -> None:
    tracking = TrackingConfig.local(tmp_path / "mlflow")
    store = ArtifactStore(tmp_path / "models")

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        outcome = run_search(conn, replace(BUDGET, trials=0), tracking, store)

    handoff = store.read_tuning_handoff()
    assert not outcome.tuned and outcome.run_id == ""
    assert (handoff.tuned, handoff.params, handoff.half_life_days) == (False, AlsParams(), None)


def test_strength_before_label_times_is_pair_strength_of_the_events_before_them(
    warehouse: Path, events: pd.DataFrame
) -> None:
    """The ranker's training-window ALS: each reader decayed as of their own label time, the
    others as of the latest event, summed in the warehouse as the pandas definition sums them."""
    from recsys.ranking.frames import registered
    from recsys.ranking.labels import EVENTS_BEFORE_SQL, LABEL_COLUMNS, strength_before

    users = np.sort(events["user_id"].unique())[:10]
    middle = events["event_at"].min() + (events["event_at"].max() - events["event_at"].min()) / 2
    label_times = pd.DataFrame(
        {"user_id": users, "label_ts": middle, "window_end": events["event_at"].max()}
    )
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        in_sql = strength_before(conn, label_times, DBT_WEIGHTING)
        with registered(conn, _label_times=label_times[LABEL_COLUMNS]):
            rows = conn.execute(EVENTS_BEFORE_SQL).df()
    in_pandas = pair_strength(rows, DBT_WEIGHTING)

    assert in_sql[["user_id", "creator_id"]].equals(in_pandas[["user_id", "creator_id"]])
    np.testing.assert_allclose(in_sql["strength"], in_pandas["strength"], rtol=1e-9)
    # A labelled reader's pairs are those of their events before the label time, no later one.
    before = events[events["user_id"].isin(users) & (events["event_at"] < middle)]
    labelled = in_sql[in_sql["user_id"].isin(users)]
    assert len(labelled) == len(before[["user_id", "creator_id"]].drop_duplicates()) > 0
