"""Content embeddings of posts: TF-IDF -> truncated SVD -> L2, and creators as their posts' mean.

scikit-learn takes seconds to import and this module is imported when the Dagster code location
loads, so sklearn is imported inside the functions that fit or load a model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Repeating the title counts its words twice (about 1.7x after sublinear tf): a title says what a
# post is about more reliably than the body's filler.
TITLE_REPEATS = 2
MODEL_SUFFIX = ".joblib"
SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True)
class ContentParams:
    """Hyperparameters of the content model; `seed` fixes the SVD."""

    dims: int = 64
    max_features: int = 20_000
    min_df: int = 2
    seed: int = 7


@dataclass(frozen=True)
class Embeddings:
    """Unit-length float32 vectors (n, dims), row i the vector of item ids[i]."""

    ids: np.ndarray
    vectors: np.ndarray


@dataclass(frozen=True)
class ContentModel:
    """A fitted TF-IDF -> SVD -> L2 pipeline that embeds post texts and search queries."""

    pipeline: Any  # sklearn.pipeline.Pipeline; typed loosely so this module never imports sklearn
    params: ContentParams

    @property
    def dims(self) -> int:
        """Output dimension: params.dims, or fewer when the vocabulary is smaller than that."""
        return int(self.pipeline.named_steps["svd"].n_components)

    @property
    def explained_variance(self) -> float:
        """Share of the TF-IDF variance the SVD components keep."""
        return float(self.pipeline.named_steps["svd"].explained_variance_ratio_.sum())

    def embed(self, texts: Sequence[str] | pd.Series) -> np.ndarray:
        """Unit-length float32 vectors (n, dims); texts with no known word embed as zeros."""
        return np.asarray(self.pipeline.transform(list(texts)), dtype=np.float32)

    def unknown_words(self, text: str) -> list[str]:
        """The words of `text` the vocabulary lacks (they contribute nothing to its embedding)."""
        tfidf = self.pipeline.named_steps["tfidf"]
        return [w for w in tfidf.build_analyzer()(text) if w not in tfidf.vocabulary_]

    def save(self, path: Path | str) -> None:
        """Save `<path>.joblib` (the sklearn pipeline) and `<path>.json` (params, variance)."""
        import joblib
        import sklearn

        joblib.dump(self.pipeline, f"{path}{MODEL_SUFFIX}")
        sidecar = {
            "params": asdict(self.params),
            "dims": self.dims,
            "vocabulary_size": len(self.pipeline.named_steps["tfidf"].vocabulary_),
            "explained_variance": self.explained_variance,
            "sklearn_version": sklearn.__version__,
        }
        Path(f"{path}{SIDECAR_SUFFIX}").write_text(json.dumps(sidecar, indent=2))

    @classmethod
    def load(cls, path: Path | str) -> ContentModel:
        """Read a model written by `save`; joblib unpickles, so load only files you trust."""
        import joblib

        model_file, sidecar_file = Path(f"{path}{MODEL_SUFFIX}"), Path(f"{path}{SIDECAR_SUFFIX}")
        for file in (model_file, sidecar_file):
            if not file.is_file():
                raise FileNotFoundError(f"content model file {file} does not exist")
        params = ContentParams(**json.loads(sidecar_file.read_text())["params"])
        return cls(pipeline=joblib.load(model_file), params=params)


def post_text(title: str, body: str) -> str:
    """The text a post is embedded from: the title repeated, then the body."""
    return " ".join([title] * TITLE_REPEATS + [body])


def post_texts(posts: pd.DataFrame) -> pd.Series:
    """`post_text` for every row of a frame with title and body columns (nulls read as empty)."""
    title, body = posts["title"].fillna(""), posts["body"].fillna("")
    return ((title + " ") * TITLE_REPEATS + body).rename("text")


def fit_content_model(
    titles_and_bodies: Sequence[str] | pd.Series, params: ContentParams = ContentParams()
) -> ContentModel:
    """Fit TF-IDF (sublinear tf) -> TruncatedSVD -> L2 normalisation on post texts."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    texts = list(titles_and_bodies)
    tfidf = TfidfVectorizer(
        sublinear_tf=True, max_features=params.max_features, min_df=params.min_df, dtype=np.float32
    )
    counts = tfidf.fit_transform(texts)
    # TruncatedSVD needs fewer components than terms; a tiny corpus gets a smaller embedding.
    dims = min(params.dims, counts.shape[1] - 1)
    svd = TruncatedSVD(n_components=dims, random_state=params.seed)
    reduced = svd.fit_transform(counts)
    normalizer = Normalizer(norm="l2").fit(reduced)
    pipeline = Pipeline([("tfidf", tfidf), ("svd", svd), ("l2", normalizer)])
    return ContentModel(pipeline=pipeline, params=params)


def creator_embeddings(
    post_embeddings: np.ndarray, post_creator_ids: np.ndarray | pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """(sorted creator ids, unit-length mean of each creator's post embeddings as float32)."""
    creator_ids, inverse = np.unique(np.asarray(post_creator_ids), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(creator_ids)))
    # Sum in float64 so a prolific creator's mean does not drift with float32 rounding.
    sums = np.add.reduceat(np.asarray(post_embeddings, dtype=np.float64)[order], starts, axis=0)
    means = sums / np.bincount(inverse, minlength=len(creator_ids))[:, None]
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    vectors = np.divide(means, norms, out=np.zeros_like(means), where=norms > 0)
    return creator_ids, vectors.astype(np.float32)
