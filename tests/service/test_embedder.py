"""The service's embedder gives the content model's vectors bit for bit, without scikit-learn's
per-call overhead: search results cannot depend on which of the two embedded the query."""

from __future__ import annotations

import random

import numpy as np
import pytest

from recsys.models.content import ContentModel, ContentParams, fit_content_model, post_text
from service.embedder import QueryEmbedder, UnsupportedPipeline

TOPICS = {
    "garden": "compost seedlings greenhouse soil tomato mulch pruning harvest",
    "kitchen": "garlic oven recipe sourdough roast bread butter simmer",
    "money": "stocks brokerage dividend index bonds savings inflation budget",
    "space": "galaxy telescope orbit nebula comet planet rocket astronomy",
}


def corpus(n: int, seed: int) -> list[str]:
    """Posts mixing one topic's words with another's, with repeats, as titles and bodies."""
    rng = random.Random(seed)
    words = {topic: text.split() for topic, text in TOPICS.items()}
    texts = []
    for _ in range(n):
        main, other = rng.sample(sorted(words), 2)
        title = " ".join(rng.choices(words[main], k=3))
        body = " ".join(rng.choices(words[main], k=25) + rng.choices(words[other], k=6))
        texts.append(post_text(title.title(), body))
    return texts


@pytest.fixture(scope="module")
def model() -> ContentModel:
    return fit_content_model(corpus(400, seed=1), ContentParams(dims=12, min_df=2, seed=3))


def test_vectors_equal_the_content_models_bit_for_bit(model: ContentModel) -> None:
    embedder = QueryEmbedder(model)
    texts = [
        *corpus(200, seed=2),
        "compost",
        "Garlic OVEN recipe, garlic!",
        "telescope stocks garden-tomato",
        "a post with a few unknown words: telescope galaxy",
    ]

    for text in texts:
        assert np.array_equal(embedder.embed(text).vector, model.embed([text])[0]), text


def test_unknown_words_are_the_content_models_and_alone_embed_as_zeros(
    model: ContentModel,
) -> None:
    embedder = QueryEmbedder(model)

    for text in ("quasar compost zebra", "zebra quasar", "", "!!"):
        embedded = embedder.embed(text)
        assert embedded.unknown_words == model.unknown_words(text)
        assert np.array_equal(embedded.vector, model.embed([text])[0])
    assert not embedder.embed("zebra quasar").vector.any()
    assert embedder.embed("zebra compost").vector.dtype == np.float32


def test_a_pipeline_of_other_steps_is_refused_rather_than_embedded_differently(
    model: ContentModel,
) -> None:
    from sklearn.pipeline import Pipeline

    steps = model.pipeline.named_steps
    without_l2 = ContentModel(
        Pipeline([("tfidf", steps["tfidf"]), ("svd", steps["svd"])]), model.params
    )

    with pytest.raises(UnsupportedPipeline, match="steps"):
        QueryEmbedder(without_l2)
