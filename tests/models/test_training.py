"""Fitting and judging the content model: topical coherence measured against its chance floor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.models.content import ContentParams
from recsys.models.evaluation import CATEGORY_AGREEMENT
from recsys.models.training import chance_category_agreement, fit_and_judge_content

PARAMS = ContentParams(dims=8, min_df=1, seed=3)
# Three topics, each with its own words, written by two creators each.
TOPIC_WORDS = {
    "garden": ["seedlings", "compost", "soil", "tomato", "mulch", "pruning", "greenhouse"],
    "baking": ["sourdough", "flour", "crumb", "starter", "oven", "proofing", "rye"],
    "cycling": ["gravel", "saddle", "cadence", "chain", "derailleur", "climb", "tyres"],
}


def topical_posts(per_topic: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t, (category, words) in enumerate(TOPIC_WORDS.items()):
        for i in range(per_topic):
            rows.append(
                {
                    "post_id": len(rows) + 1,
                    "creator_id": 100 + 2 * t + i % 2,
                    "category": category,
                    "title": " ".join(rng.choice(words, size=3)),
                    "body": " ".join(rng.choice(words, size=12)),
                }
            )
    return pd.DataFrame(rows)


def test_chance_agreement_is_the_sum_of_squared_category_shares() -> None:
    categories = pd.Series(["a"] * 6 + ["b"] * 3 + ["c"])

    assert chance_category_agreement(categories) == pytest.approx(0.6**2 + 0.3**2 + 0.1**2)


def test_chance_agreement_of_one_category_is_certain() -> None:
    assert chance_category_agreement(np.array(["a", "a", "a"])) == pytest.approx(1.0)


def test_a_topical_embedding_agrees_with_categories_far_above_chance() -> None:
    report = fit_and_judge_content(topical_posts(), PARAMS)

    chance = report.metrics[f"chance_{CATEGORY_AGREEMENT}"]
    assert chance == pytest.approx(1 / 3)
    assert report.metrics[CATEGORY_AGREEMENT] >= 2.5 * chance
    assert 0.0 < report.metrics["explained_variance"] <= 1.0
    assert report.metrics["fit_seconds"] >= 0.0


def test_the_report_embeds_every_post_and_each_creator_once() -> None:
    posts = topical_posts()

    report = fit_and_judge_content(posts, PARAMS)

    np.testing.assert_array_equal(report.posts.ids, posts["post_id"].to_numpy())
    assert report.posts.vectors.shape == (len(posts), report.model.dims)
    np.testing.assert_array_equal(report.creators.ids, np.unique(posts["creator_id"]))
    np.testing.assert_allclose(np.linalg.norm(report.creators.vectors, axis=1), 1.0, atol=1e-5)


def test_the_same_posts_and_seed_give_the_same_judgement() -> None:
    posts = topical_posts()

    first, again = fit_and_judge_content(posts, PARAMS), fit_and_judge_content(posts, PARAMS)

    assert first.metrics[CATEGORY_AGREEMENT] == again.metrics[CATEGORY_AGREEMENT]
    np.testing.assert_array_equal(first.posts.vectors, again.posts.vectors)
