"""The artifact store: each hand-off reads back what was written, and a missing one names the asset
that writes it; models and indexes read back from their folders; the layout stays put."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.models.als import AlsFactors, AlsParams
from recsys.models.content import ContentParams, Embeddings, fit_content_model, post_texts
from recsys.models.store import (
    ArtifactStore,
    ContentHandoff,
    HoldoutHandoff,
    MissingArtifact,
    ServingHandoff,
    load_als_factors,
    load_content_model,
    load_embeddings,
)
from recsys.serving.ann import build_index


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "models")


def factors() -> AlsFactors:
    rng = np.random.default_rng(3)
    return AlsFactors(
        user_factors=rng.normal(size=(4, 2)).astype(np.float32),
        item_factors=rng.normal(size=(3, 2)).astype(np.float32),
        user_ids=np.array([10, 11, 12, 13]),
        item_ids=np.array([7, 8, 9]),
    )


def test_the_holdout_handoff_reads_back_the_run_and_its_params(store: ArtifactStore) -> None:
    handoff = HoldoutHandoff("run-1", AlsParams(factors=8, regularization=0.5, seed=3))

    store.write_holdout_handoff(handoff)

    assert store.read_holdout_handoff() == handoff


def test_the_serving_handoff_reads_back_the_run_and_its_version(store: ArtifactStore) -> None:
    store.write_serving_handoff(ServingHandoff("run-2", 4))

    assert store.read_serving_handoff() == ServingHandoff("run-2", 4)


def test_the_content_handoff_reads_back_its_version(store: ArtifactStore) -> None:
    store.write_content_handoff(ContentHandoff(5))

    assert store.read_content_handoff() == ContentHandoff(5)


def test_a_newer_handoff_replaces_the_previous_one(store: ArtifactStore) -> None:
    store.write_serving_handoff(ServingHandoff("run-2", 4))
    store.write_serving_handoff(ServingHandoff("run-3", 5))

    assert store.read_serving_handoff().version == 5


@pytest.mark.parametrize(
    ("read", "writer"),
    [
        (ArtifactStore.read_holdout_handoff, "models/als_holdout"),
        (ArtifactStore.read_serving_handoff, "models/als_model"),
        (ArtifactStore.read_content_handoff, "models/content_model"),
    ],
)
def test_a_missing_handoff_names_the_asset_to_materialize(
    store: ArtifactStore, read, writer: str
) -> None:
    with pytest.raises(MissingArtifact, match=f"materialize {writer} first"):
        read(store)


def test_a_missing_index_names_the_asset_to_materialize(store: ArtifactStore) -> None:
    with pytest.raises(MissingArtifact, match="materialize indexes/creator_index first"):
        store.load_index("creators")
    with pytest.raises(MissingArtifact, match="materialize indexes/post_index first"):
        store.index_model_version("posts")


def test_als_factors_read_back_from_the_folder_logged_for_each_role(store: ArtifactStore) -> None:
    written = factors()

    holdout = store.save_als("holdout", written)
    serving = store.save_als("serving", written)

    assert holdout != serving
    for folder in (holdout, serving):
        read = load_als_factors(folder)
        np.testing.assert_array_equal(read.item_factors, written.item_factors)
        np.testing.assert_array_equal(read.user_ids, written.user_ids)


def test_the_content_model_and_both_embeddings_read_back_from_its_folder(
    store: ArtifactStore,
) -> None:
    texts = pd.DataFrame(
        {
            "title": ["seedlings in spring", "compost heaps", "bread starter", "sourdough crumb"],
            "body": ["garden soil seedlings", "garden compost soil", "bread flour", "flour bread"],
        }
    )
    model = fit_content_model(post_texts(texts), ContentParams(dims=2, min_df=1))
    vectors = model.embed(post_texts(texts))
    posts = Embeddings(np.array([1, 2, 3, 4]), vectors)
    creators = Embeddings(np.array([9]), vectors[:1])

    folder = store.save_content(model, posts, creators)

    np.testing.assert_array_equal(load_embeddings(folder, "post").vectors, vectors)
    np.testing.assert_array_equal(load_embeddings(folder, "creator").ids, [9])
    np.testing.assert_allclose(load_content_model(folder).embed(post_texts(texts)), vectors)


def test_an_index_reads_back_with_the_model_version_it_was_built_from(
    store: ArtifactStore,
) -> None:
    vectors = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    index = build_index(vectors, np.arange(20) + 100, "angular", n_trees=2, seed=1)

    ann_file = store.save_index("creators", index, model_version=7)

    assert ann_file.is_file() and ann_file.suffix == ".ann"
    assert store.index_model_version("creators") == 7
    np.testing.assert_array_equal(store.load_index("creators").ids, index.ids)


def test_the_layout_on_disk_stays_where_earlier_runs_and_tools_look(store: ArtifactStore) -> None:
    # make search reads data/models/search; older runs left their hand-offs at these paths.
    store.save_als("holdout", factors())
    store.write_holdout_handoff(HoldoutHandoff("run-1", AlsParams()))
    store.write_content_handoff(ContentHandoff(1))
    as_of = dt.datetime(2026, 9, 14, 23, 59, 1)

    root = store.root
    assert (root / "als" / "holdout" / "model" / "factors.npz").is_file()
    assert (root / "als" / "holdout" / "latest.json").is_file()
    assert (root / "content" / "latest.json").read_text() == '{"version": 1}'
    assert store.search_bundle_dir() == root / "search"
    stamp = "20260914T235901"
    assert store.drift_report_path(as_of) == root / "drift" / stamp / f"drift-{stamp}.html"
    assert store.drift_report_path(as_of).parent.is_dir()
