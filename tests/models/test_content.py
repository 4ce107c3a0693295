"""The content model: deterministic, topical, fit for new posts; creators as their posts' mean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.datagen import TOPICS, generate_platform
from recsys.datagen.text import bodies, titles
from recsys.models.content import (
    ContentModel,
    ContentParams,
    creator_embeddings,
    fit_content_model,
    post_text,
    post_texts,
)

SEED = 11
PARAMS = ContentParams(dims=32, seed=3)


@pytest.fixture(scope="module")
def posts(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Tiny generated posts with their creator's category."""
    root = tmp_path_factory.mktemp("platform")
    generate_platform(root / "landing", root / "truth", "tiny", SEED)
    posts = pd.read_parquet(root / "landing" / "posts" / "posts.parquet")
    creators = pd.read_parquet(root / "landing" / "creators" / "creators.parquet")
    return posts.merge(creators[["creator_id", "category"]], on="creator_id", validate="m:1")


@pytest.fixture(scope="module")
def model(posts: pd.DataFrame) -> ContentModel:
    return fit_content_model(post_texts(posts), PARAMS)


@pytest.fixture(scope="module")
def embeddings(model: ContentModel, posts: pd.DataFrame) -> np.ndarray:
    return model.embed(post_texts(posts))


def test_same_seed_gives_identical_embeddings(posts: pd.DataFrame, embeddings: np.ndarray) -> None:
    again = fit_content_model(post_texts(posts), PARAMS).embed(post_texts(posts))
    assert again.dtype == np.float32
    assert again.shape == (len(posts), PARAMS.dims)
    np.testing.assert_array_equal(again, embeddings)


def test_embeddings_are_unit_length(embeddings: np.ndarray) -> None:
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_posts_of_one_category_are_closer_than_posts_of_different_categories(
    posts: pd.DataFrame, embeddings: np.ndarray
) -> None:
    cosine = embeddings @ embeddings.T
    off_diagonal = ~np.eye(len(posts), dtype=bool)
    category, creator = posts["category"].to_numpy(), posts["creator_id"].to_numpy()
    same_category = (category[:, None] == category[None, :]) & off_diagonal
    same_creator = (creator[:, None] == creator[None, :]) & off_diagonal
    different = category[:, None] != category[None, :]
    assert cosine[same_creator].mean() > 0.6
    assert cosine[same_category].mean() > 0.6
    assert cosine[different].mean() < 0.15


def test_a_new_post_embeds_next_to_posts_of_its_topic(
    model: ContentModel, posts: pd.DataFrame, embeddings: np.ndarray
) -> None:
    # Cold start: texts the model never saw, drawn the way the generator writes a topic's posts.
    rng = np.random.default_rng(99)
    for topic in ("cooking", "fitness", "ai"):
        if topic not in set(posts["category"]):
            continue
        code = np.array([TOPICS.index(topic)])
        text = post_text(titles(code, rng)[0].as_py(), bodies(code, rng)[0].as_py())
        nearest = np.argsort(-(embeddings @ model.embed([text])[0]))[:10]
        assert (posts["category"].to_numpy()[nearest] == topic).sum() >= 9, topic


def test_creator_embedding_is_the_normalised_mean_of_its_posts(
    posts: pd.DataFrame, embeddings: np.ndarray
) -> None:
    creator_ids, vectors = creator_embeddings(embeddings, posts["creator_id"])
    assert list(creator_ids) == sorted(posts["creator_id"].unique())
    for row in (0, len(creator_ids) // 2, len(creator_ids) - 1):
        mean = embeddings[(posts["creator_id"] == creator_ids[row]).to_numpy()].mean(axis=0)
        np.testing.assert_allclose(vectors[row], mean / np.linalg.norm(mean), atol=1e-6)


def test_save_and_load_embed_the_same_and_the_sidecar_records_params(
    model: ContentModel, tmp_path: Path
) -> None:
    model.save(tmp_path / "content")
    loaded = ContentModel.load(tmp_path / "content")
    texts = ["garlic risotto in the oven", "squat deadlift plank"]
    np.testing.assert_array_equal(loaded.embed(texts), model.embed(texts))
    sidecar = json.loads((tmp_path / "content.json").read_text())
    assert sidecar["params"] == {"dims": 32, "max_features": 20_000, "min_df": 2, "seed": 3}
    assert sidecar["explained_variance"] == pytest.approx(model.explained_variance)
    assert 0 < sidecar["explained_variance"] < 1


def test_a_text_of_unknown_words_embeds_as_zeros(model: ContentModel) -> None:
    assert not model.embed(["zzyzx qwertyuiop"]).any()
    assert model.unknown_words("garlic zzyzx") == ["zzyzx"]


def test_a_frame_of_posts_gives_the_same_texts_as_post_text(posts: pd.DataFrame) -> None:
    row = posts.iloc[0]
    assert post_texts(posts.head(1)).iloc[0] == post_text(row["title"], row["body"])
    assert post_text("Garlic", "Roast it.").split() == ["Garlic", "Garlic", "Roast", "it."]
