"""The retrievers' candidates: who proposed what, what is never proposed, and the scores kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.models.als import AlsFactors
from recsys.models.content import Embeddings
from recsys.ranking.candidates import (
    Retrievers,
    merge_candidates,
    model_candidates,
    pair_scores,
    popular_candidates,
    reader_profiles,
)

# Two topics: creators 10 and 11 write about the first, 20 about the second.
CREATORS = Embeddings(
    np.array([10, 11, 20]), np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
)
POSTS = Embeddings(np.array([100, 200]), np.array([[1, 0], [0, 1]], dtype=np.float32))
# ALS knows readers 1 and 2 and creators 10 and 20 (not 11, too new).
ALS = AlsFactors(
    user_factors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
    item_factors=np.array([[2.0, 0.0], [0.0, 3.0]], dtype=np.float32),
    user_ids=np.array([1, 2]),
    item_ids=np.array([10, 20]),
)


def test_a_readers_profile_is_the_weighted_mean_of_what_they_read() -> None:
    reads = pd.DataFrame(
        {"user_id": [1, 1, 2, 3], "post_id": [100, 200, 200, 999], "weight": [3.0, 1.0, 1.0, 5.0]}
    )

    profiles = reader_profiles(reads, POSTS)

    assert profiles.ids.tolist() == [1, 2], "reader 3 read only a post without an embedding"
    np.testing.assert_allclose(profiles.vectors[0], np.array([3, 1]) / np.sqrt(10), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(profiles.vectors, axis=1), 1.0, rtol=1e-6)


def retrievers() -> Retrievers:
    profiles = Embeddings(np.array([1, 2]), np.array([[1, 0], [0, 1]], dtype=np.float32))
    return Retrievers(ALS, profiles, CREATORS)


def test_a_creator_several_retrievers_propose_is_one_candidate_with_every_rank() -> None:
    parts = retrievers()
    als = model_candidates(parts.als, np.array([1]), 2, "als", None)
    content = model_candidates(parts.content, np.array([1]), 2, "content", None)

    merged = merge_candidates([als, content], parts).set_index("creator_id")

    assert sorted(merged.index) == [10, 11, 20]
    assert merged.loc[10, "sources"] == "als+content" and merged.loc[10, "n_sources"] == 2
    assert merged.loc[11, "sources"] == "content" and np.isnan(merged.loc[11, "als_rank"])
    assert merged.loc[20, "sources"] == "als"
    assert np.isnan(merged.loc[11, "popular_and_fresh_rank"])
    # Scores come from both models whoever proposed the creator; ALS cannot score creator 11.
    assert merged.loc[20, "content_score"] == pytest.approx(0.0)
    assert np.isnan(merged.loc[11, "als_score"])
    assert merged.loc[10, "als_score"] == pytest.approx(2.0)


def test_an_excluded_creator_is_never_proposed() -> None:
    met = pd.DataFrame({"user_id": [1], "creator_id": [10]})

    found = model_candidates(retrievers().content, np.array([1, 2]), 3, "content", met)

    assert (1, 10) not in set(zip(found["user_id"], found["creator_id"], strict=True))
    assert found.groupby("user_id")["content_rank"].apply(list).to_dict() == {
        1: [1, 2],
        2: [1, 2, 3],
    }


def test_the_popular_list_is_the_label_days_and_skips_what_a_reader_met() -> None:
    monday, tuesday = pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-03")
    lists = {monday: np.array([20, 10, 11]), tuesday: np.array([11, 20, 10])}
    labels = pd.DataFrame(
        {"user_id": [1, 2], "label_ts": [monday + pd.Timedelta(hours=9), tuesday]}
    )
    met = pd.DataFrame({"user_id": [1], "creator_id": [20]})

    found = popular_candidates(lists, labels, 2, met)

    by_reader = found.groupby("user_id")["creator_id"].apply(list).to_dict()
    assert by_reader == {1: [10, 11], 2: [11, 20]}
    assert found["popular_and_fresh_rank"].tolist() == [1, 2, 1, 2]


def test_a_pair_a_model_does_not_know_has_no_score() -> None:
    scores = pair_scores(ALS, np.array([1, 1, 3]), np.array([10, 11, 10]))

    assert scores[0] == pytest.approx(2.0)
    assert np.isnan(scores[1]) and np.isnan(scores[2])
