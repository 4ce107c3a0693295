"""Whether the ranker orders user_creators: only on its gate's latest word, over what serves."""

from __future__ import annotations

from recsys.models.evaluation import N_USERS_EVALUATED
from recsys.models.gate_rule import judge
from recsys.ranking.gate import RANKER_GATE
from recsys.ranking.serving import ALS_VERSION_TAG, CONTENT_VERSION_TAG, serving_verdict

JUDGED_OVER = {ALS_VERSION_TAG: "4", CONTENT_VERSION_TAG: "2"}


def verdict(champion=3, latest=3, tags=None, als=4, content=2, failed=()):
    return serving_verdict(
        champion, latest, JUDGED_OVER if tags is None else tags, als, content, list(failed)
    )


def test_the_champion_judged_last_over_the_serving_models_orders_the_table() -> None:
    decision = verdict()

    assert decision.serves
    assert "ranker version 3" in decision.reason


def test_without_a_champion_the_table_keeps_als_order() -> None:
    decision = verdict(champion=None, latest=None, tags={})

    assert not decision.serves and "ALS order" in decision.reason


def test_a_newer_ranker_that_failed_its_gate_sends_the_table_back_to_als_order() -> None:
    decision = verdict(champion=3, latest=5)

    assert not decision.serves
    assert "version 5" in decision.reason and "did not pass" in decision.reason


def test_a_latest_run_that_trained_nothing_sends_the_table_back_to_als_order() -> None:
    decision = verdict(champion=3, latest=None)

    assert not decision.serves and "trained nothing" in decision.reason


def test_a_ranker_judged_over_another_als_or_content_version_does_not_serve() -> None:
    for changed in ({"als": 5}, {"content": 3}):
        decision = verdict(**changed)

        assert not decision.serves
        assert "until the ranker is retrained" in decision.reason


def test_features_whose_checks_stand_failed_keep_als_order() -> None:
    decision = verdict(failed=["features/user_snapshots:unique_combination"])

    assert not decision.serves
    assert "features/user_snapshots" in decision.reason


def figures(ndcg: float) -> dict[str, float]:
    return {"ndcg_at_10": ndcg, N_USERS_EVALUATED: 5_000.0}


def test_the_ranker_must_beat_als_alone_by_the_margin() -> None:
    als_alone = figures(0.200)

    beats = judge(figures(0.210), als_alone, None, RANKER_GATE)
    ties = judge(figures(0.202), als_alone, None, RANKER_GATE)

    assert beats.passed
    assert not ties.passed
    assert "does not beat ALS alone" in ties.reasons[0]
