"""The ranker on a generated platform: its two windows never reach what they are judged on, it is
judged beside ALS alone on the same readers, and the order it serves keeps the table's rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.dbt_harness import run_dbt

from recsys.datagen import generate_platform
from recsys.ingest.landing import TABLES, complete_event_days
from recsys.ingest.raw_loading import load_dimension_table, load_event_days
from recsys.models.als import AlsParams
from recsys.models.content import ContentParams
from recsys.models.evaluation import K
from recsys.models.gate_rule import ALS_GATE
from recsys.models.training import HoldoutReport, evaluate_als_on_holdout, fit_and_judge_content
from recsys.ranking.candidates import CandidateParams
from recsys.ranking.ranker import RankerParams
from recsys.ranking.serving import SOURCE_PREFIX, ranked_user_creators
from recsys.ranking.training import (
    HoldoutTwin,
    RankerReport,
    RankingData,
    RankingParams,
    build_ranking_data,
    fit_and_judge,
)
from recsys.serving.invariants import rank_problems
from recsys.warehouse import read_table

PARAMS = RankingParams(
    candidates=CandidateParams(als=20, content=10, popular_and_fresh=10),
    ranker=RankerParams(n_estimators=40, min_child_samples=10),
)


@dataclass(frozen=True)
class Platform:
    warehouse: Path
    als: HoldoutReport
    data: RankingData
    report: RankerReport
    content_posts: object
    content_creators: object


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    root = tmp_path_factory.mktemp("ranking")
    landing, truth, warehouse = root / "landing", root / "truth", root / "warehouse.duckdb"
    generate_platform(landing, truth, scale="tiny", seed=5)
    with duckdb.connect(str(warehouse)) as conn:
        for contract in TABLES:
            if contract.name != "events":
                load_dimension_table(conn, contract, landing)
        load_event_days(conn, landing, complete_event_days(landing))
    run = run_dbt("build", warehouse, root / "dbt")
    assert run.returncode == 0, run.output[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        train = read_table(conn, "marts.interactions_train", ["user_id", "creator_id", "strength"])
        holdout = read_table(conn, "marts.interactions_holdout")
        posts = read_table(
            conn, "marts.post_features", ["post_id", "creator_id", "category", "title", "body"]
        )
        als = evaluate_als_on_holdout(
            train,
            holdout,
            AlsParams(),
            K,
            truth,
            None,
            ALS_GATE.bootstrap(),
            ALS_GATE.user_sample(),
        )
        content = fit_and_judge_content(posts, ContentParams())
        twin = HoldoutTwin(AlsParams(), None, als.factors)
        data = build_ranking_data(
            conn, twin, content.posts, content.creators, ALS_GATE.user_sample(), PARAMS
        )
    baselines = {
        name: value
        for name, value in als.flat_metrics().items()
        if name.startswith(("popularity_", "oracle_"))
    }
    report = fit_and_judge(data, PARAMS, baselines, K, ALS_GATE.bootstrap())
    return Platform(warehouse, als, data, report, content.posts, content.creators)


def frame(platform: Platform, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(platform.warehouse), read_only=True) as conn:
        return conn.execute(sql).df()


def test_training_readers_are_ranked_and_graded_before_their_holdout_begins(platform):
    cutoffs = frame(platform, "SELECT user_id, cutoff_at FROM marts.user_split_cutoffs")
    training = platform.data.training.merge(cutoffs, on="user_id")
    graded = training[training["grade"] > 0][["user_id", "creator_id", "label_ts", "cutoff_at"]]
    events = frame(platform, "SELECT user_id, creator_id, event_at FROM staging.stg_events")
    graded_events = graded.merge(events, on=["user_id", "creator_id"])

    assert len(training) > 0 and len(graded) > 0
    assert (training["label_ts"] < training["cutoff_at"]).all()
    # A graded creator was met at or after the label time, and some of it before the cutoff.
    first = graded_events.groupby(["user_id", "creator_id"]).agg(
        first=("event_at", "min"), label_ts=("label_ts", "first"), cutoff=("cutoff_at", "first")
    )
    assert (first["first"] >= first["label_ts"]).all()
    assert (first["first"] < first["cutoff"]).all()


def test_no_candidate_is_a_creator_the_reader_met_before_being_ranked(platform) -> None:
    events = frame(platform, "SELECT user_id, creator_id, event_at FROM staging.stg_events")
    for window in (platform.data.training, platform.data.holdout):
        pairs = window[["user_id", "creator_id", "label_ts"]].merge(
            events, on=["user_id", "creator_id"]
        )

        assert not (pairs["event_at"] < pairs["label_ts"]).any()


def test_als_alone_is_judged_on_the_same_readers_as_the_als_gate(platform) -> None:
    metrics, als = platform.report.metrics, platform.als.als

    assert metrics["als_n_users_evaluated"] == als["n_users_evaluated"]
    assert metrics["n_users_evaluated"] == als["n_users_evaluated"]
    assert metrics["als_ndcg_at_10"] == pytest.approx(als["ndcg_at_10"], abs=1e-6)
    assert metrics["popularity_ndcg_at_10"] == platform.als.popularity["ndcg_at_10"]
    assert 0.0 < metrics["ndcg_at_10"] <= metrics["oracle_ndcg_at_10"] + 0.1
    assert 0.0 < metrics["candidate_recall"] <= 1.0


def test_the_served_order_keeps_the_tables_rules(platform) -> None:
    subscribed = frame(
        platform, "SELECT user_id, creator_id FROM staging.stg_subscriptions WHERE is_active"
    )
    readers = platform.als.factors.user_ids[:50]
    with duckdb.connect(str(platform.warehouse), read_only=True) as conn:
        table = ranked_user_creators(
            conn,
            platform.report.serving,
            platform.als.factors,
            platform.content_posts,
            platform.content_creators,
            readers,
            subscribed,
            5,
            PARAMS,
        )

    assert set(table["user_id"]) == set(readers)
    assert (table.groupby("user_id").size() == 5).all()
    assert rank_problems(table, "user_id").ok
    assert table.merge(subscribed, on=["user_id", "creator_id"]).empty
    assert table["source"].str.startswith(SOURCE_PREFIX).all()
    assert np.isfinite(table["score"]).all()
