"""Implicit-feedback ALS on the user x creator confidence matrix, and exact top-n recommendation."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recsys.models.interactions import (
    Exclusions,
    InteractionMatrix,
    exclusion_mask,
    mask_scores,
    recommendation_table,
    top_n,
)

# implicit solves users (and items) in parallel with its own OpenMP threads; BLAS threads on top
# of that oversubscribe the cores (implicit warns). On this 2-core box, 100k x 20k, 4.7M nnz,
# 15 iterations: 1 BLAS thread 29-39 s, 2 threads 34-45 s (shared, noisy box): never faster.
FIT_BLAS_THREADS = 1
# Batches of users scored by parallel workers, each with single-threaded BLAS, so the numpy
# partition step (one thread per call) also uses both cores. Same box, N=50, 20k items:
# 2 workers 5.5-10.6k users/s, 1 worker 5.2-6.2k, implicit's recommend 4.3-7.5k, interleaved.
SCORE_WORKERS = 2
# 1,024 users x 20k items is an 80 MB score block (plus 160 MB of argpartition indices) per
# worker; 512-1,024 measured slightly faster than 2,048.
BATCH_USERS = 1_024


@dataclass(frozen=True)
class AlsParams:
    """ALS hyperparameters; alpha scales confidence in build_matrix, not inside implicit.

    Defaults won on the demo holdout (nDCG@10 on new creators; 64 factors, reg 0.05, alpha 10
    scored 0.202, these 0.251, the oracle 0.291): the generated platform has 16 topics, so a
    few factors with strong regularization capture it and more factors fit noise. Real data
    will likely want more factors: tune them there.
    """

    factors: int = 16
    regularization: float = 10.0
    iterations: int = 15
    alpha: float = 1.0
    seed: int = 7


@dataclass(frozen=True)
class AlsFactors:
    """Fitted float32 factors with the user and item ids of their rows."""

    user_factors: np.ndarray
    item_factors: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray

    def user_rows(self, user_ids: np.ndarray) -> np.ndarray:
        """Row of each user id, -1 for users the model has not seen."""
        return pd.Index(self.user_ids).get_indexer(np.asarray(user_ids, dtype=np.int64))

    def save(self, path: Path) -> Path:
        """One uncompressed .npz of plain arrays (no pickles, so loading runs no code)."""
        path = Path(path)
        with path.open("wb") as file:
            np.savez(
                file,
                user_factors=self.user_factors,
                item_factors=self.item_factors,
                user_ids=self.user_ids,
                item_ids=self.item_ids,
            )
        return path

    @classmethod
    def load(cls, path: Path) -> AlsFactors:
        with np.load(Path(path), allow_pickle=False) as arrays:
            return cls(**{name: arrays[name] for name in arrays.files})


def fit_als(
    matrix: InteractionMatrix,
    params: AlsParams,
    progress: Callable[[int, float], None] | None = None,
) -> AlsFactors:
    """Fit ALS on `matrix` (already confidence-weighted); progress(iteration, loss) per iteration.

    The training loss is only computed when `progress` is given (one extra pass per iteration);
    it does not change the factors. Same matrix and seed give bit-identical factors.
    """

    def report(iteration: int, _seconds: float, loss: float | None) -> None:
        if progress is not None:
            progress(iteration + 1, float("nan") if loss is None else float(loss))

    # Inside the limit: implicit checks the BLAS threads when the model is built.
    with threadpool_limits(limits=FIT_BLAS_THREADS, user_api="blas"):
        # alpha=1.0: the matrix already holds confidences, implicit must not scale them again.
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=1.0,
            iterations=params.iterations,
            calculate_training_loss=progress is not None,
            random_state=params.seed,
            use_gpu=False,
        )
        model.fit(matrix.confidence, show_progress=False, callback=report)
    return AlsFactors(
        user_factors=np.ascontiguousarray(model.user_factors, dtype=np.float32),
        item_factors=np.ascontiguousarray(model.item_factors, dtype=np.float32),
        user_ids=matrix.user_ids.copy(),
        item_ids=matrix.item_ids.copy(),
    )


def score_users(factors: AlsFactors, user_rows: np.ndarray) -> np.ndarray:
    """Dense float32 scores, len(user_rows) x items, for user rows of the factors."""
    return factors.user_factors[user_rows] @ factors.item_factors.T


def recommend(
    factors: AlsFactors,
    matrix: InteractionMatrix | None,
    user_ids: np.ndarray,
    n: int,
    exclude: sp.csr_matrix | Exclusions | None = None,
) -> pd.DataFrame:
    """Top-n creators per user by exact inner product: user_id, creator_id, rank (1..), score.

    `exclude` is a csr aligned with `matrix` (e.g. matrix.confidence: never recommend what a
    user already interacted with), a mapping user_id -> creator ids, or a DataFrame of
    (user_id, creator_id) pairs. Excluded creators never appear; a user with fewer than n
    allowed creators gets fewer rows. Users unknown to the model are left out.
    """
    requested = pd.unique(np.asarray(user_ids, dtype=np.int64))
    rows = factors.user_rows(requested)
    requested, rows = requested[rows >= 0], rows[rows >= 0]
    mask = _mask(exclude, matrix, factors, requested)
    n = min(n, len(factors.item_ids))
    starts = range(0, len(rows), BATCH_USERS)

    def batch(lo: int) -> tuple[np.ndarray, np.ndarray]:
        scores = score_users(factors, rows[lo : lo + BATCH_USERS])
        return top_n(mask_scores(scores, mask[lo : lo + BATCH_USERS]), n)

    # Each batch's result depends only on its rows, so threading keeps results bit-identical.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=SCORE_WORKERS) as pool,
    ):
        results = list(pool.map(batch, starts))
    if not results:
        return recommendation_table(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, n)))
    top = np.concatenate([columns for columns, _ in results])
    top_scores = np.concatenate([scores for _, scores in results])
    return recommendation_table(requested, factors.item_ids[top], top_scores)


def _mask(
    exclude: sp.csr_matrix | Exclusions | None,
    matrix: InteractionMatrix | None,
    factors: AlsFactors,
    user_ids: np.ndarray,
) -> sp.csr_matrix:
    if not sp.issparse(exclude):
        return exclusion_mask(exclude, user_ids, factors.item_ids)
    if matrix is None or not np.array_equal(matrix.item_ids, factors.item_ids):
        raise ValueError("a csr exclusion needs the matrix whose items the factors were fit on")
    if exclude.shape != matrix.shape:
        raise ValueError(f"exclusion shape {exclude.shape} is not the matrix's {matrix.shape}")
    rows = matrix.user_rows(user_ids)
    # Users outside the matrix have nothing to exclude: point them at an appended empty row.
    padded = sp.vstack([sp.csr_matrix(exclude), sp.csr_matrix((1, exclude.shape[1]))]).tocsr()
    return padded[np.where(rows >= 0, rows, exclude.shape[0])]
