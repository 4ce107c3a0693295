"""The content model's embedding of one text, computed from its fitted arrays in microseconds.

`ContentModel.embed` runs the scikit-learn pipeline (TF-IDF -> truncated SVD -> L2), whose
per-call input validation and sparse-matrix construction cost ~2 ms for a single query: on one
process that time queues every concurrent search behind it. Here the same arithmetic runs on the
fitted vocabulary, idf weights and SVD components, in the order and precision scikit-learn uses,
so a vector equals the pipeline's bit for bit (tests/service/test_embedder.py holds it to that).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recsys.models.content import ContentModel

STEPS = ["tfidf", "svd", "l2"]


class UnsupportedPipeline(ValueError):
    """The content model is not the TF-IDF -> SVD -> L2 pipeline this embedder reproduces."""


@dataclass(frozen=True)
class Embedded:
    vector: np.ndarray
    """float32 (dims,), unit length, or zeros for a text without a known word."""
    unknown_words: list[str]
    """The text's terms the vocabulary lacks, in order (ContentModel.unknown_words)."""


class QueryEmbedder:
    """ContentModel.embed and unknown_words for one text at a time."""

    def __init__(self, model: ContentModel) -> None:
        steps = model.pipeline.named_steps
        if list(steps) != STEPS:
            raise UnsupportedPipeline(f"expected the steps {STEPS}, got {list(steps)}")
        tfidf, svd, l2 = steps["tfidf"], steps["svd"], steps["l2"]
        if tfidf.norm != "l2" or l2.norm != "l2" or not tfidf.use_idf:
            raise UnsupportedPipeline("expected l2-normalized TF-IDF with idf weights")
        self._analyze: Callable[[str], list[str]] = tfidf.build_analyzer()
        self._vocabulary: dict[str, int] = tfidf.vocabulary_
        self._dtype = np.dtype(tfidf.dtype)
        self._idf = np.asarray(tfidf.idf_)
        self._sublinear = bool(tfidf.sublinear_tf)
        self._binary = bool(tfidf.binary)
        # Row t: term t's weights on the SVD components, C-ordered as scipy reads it.
        self._components = np.ascontiguousarray(svd.components_.T)

    @property
    def dims(self) -> int:
        return int(self._components.shape[1])

    def embed(self, text: str) -> Embedded:
        counts: dict[int, int] = {}
        unknown: list[str] = []
        for term in self._analyze(text):
            column = self._vocabulary.get(term)
            if column is None:
                unknown.append(term)
            else:
                counts[column] = counts.get(column, 0) + 1
        vector = np.zeros((1, self.dims), dtype=np.result_type(self._dtype, self._components))
        if counts:
            columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
            weights = self._tfidf(columns, counts)
            # scipy's CSR times dense adds one product per stored term, in column order: a running
            # sum (accumulate is sequential, unlike sum's pairwise order) gives the same roundings.
            products = weights[:, None] * self._components[columns]
            vector[0] = np.add.accumulate(products, axis=0)[-1]
            norms = np.sqrt(np.einsum("ij,ij->i", vector, vector))  # sklearn's row_norms
            norms[norms == 0.0] = 1.0
            vector /= norms[:, None]
        return Embedded(np.asarray(vector[0], dtype=np.float32), unknown)

    def _tfidf(self, columns: np.ndarray, counts: dict[int, int]) -> np.ndarray:
        """TfidfTransformer.transform of one CountVectorizer row, in its dtype and order."""
        values = [1 if self._binary else counts[int(c)] for c in columns]
        data = np.asarray(values, dtype=self._dtype)
        if self._sublinear:
            np.log(data, data)
            data += 1.0
        data *= self._idf[columns]
        # sklearn's inplace_csr_row_normalize_l2: float products summed in double, in order.
        total = 0.0
        for square in (data * data).tolist():
            total += square
        if total == 0.0:
            return data
        return (data.astype(np.float64) / math.sqrt(total)).astype(self._dtype)
