"""Implicit-feedback ALS on the user x creator confidence matrix, and exact top-n recommendation."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.utils import check_random_state
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
    # `iterations` is a ceiling: the fit stops at the first loss check (every loss_every
    # iterations) that improved by less than `tolerance` on the previous one; 0 fits all of them.
    # Demo train, loss by iteration 3/6/9/12/15: 0.016680, 0.016283 (-2.4%), 0.016245 (-0.23%),
    # 0.016238 (-0.04%: stops), 0.016236; holdout nDCG@10 stopping at 9/12/15: 0.1931, 0.1933,
    # 0.1932. The large platform's loss is flat from iteration 8.
    tolerance: float = 0.001
    loss_every: int = 3


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
    init: AlsFactors | None = None,
) -> AlsFactors:
    """Fit ALS on `matrix` (already confidence-weighted); progress(iteration, loss) per iteration.

    `init` warm-starts the fit: users and items it knows start from its factors (of the same
    width), the others from the seeded random start.

    The loss is computed only every `params.loss_every` iterations (NaN is reported between): it
    is a full pass over the matrix. The fit stops at such a check once the loss improved by less
    than `params.tolerance` (relative) since the previous check, else after `params.iterations`;
    `tolerance` 0 fits exactly `iterations` and computes no loss unless `progress` is given. Up to
    where it stops, the factors are bit-identical to implicit's own fit with the same seed.
    """
    from implicit.cpu import _als

    converge = params.tolerance > 0
    every = max(1, params.loss_every)
    # The solver reads float32 csr only (build_matrix makes it; implicit's fit converts too).
    confidence = sp.csr_matrix(matrix.confidence, dtype=np.float32)
    # Inside the limit: implicit checks the BLAS threads when the model is built.
    with threadpool_limits(limits=FIT_BLAS_THREADS, user_api="blas"):
        # alpha=1.0: the matrix already holds confidences, implicit must not scale them again.
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=1.0,
            iterations=params.iterations,
            random_state=params.seed,
        )
        # implicit's fit initializes exactly so (user rows first); the loop below is its loop,
        # run here so that the loss is computed only at checks and the fit can stop early.
        rng = check_random_state(params.seed)
        users, items = confidence.shape
        user_factors = rng.random((users, params.factors), dtype=np.float32) * 0.01
        item_factors = rng.random((items, params.factors), dtype=np.float32) * 0.01
        if init is not None:
            _start_from(init, matrix, user_factors, item_factors)
        transposed = confidence.T.tocsr()
        solver, threads, reg = model.solver, model.num_threads, params.regularization
        previous = float("nan")
        for iteration in range(1, params.iterations + 1):
            solver(confidence, user_factors, item_factors, reg, num_threads=threads)
            solver(transposed, item_factors, user_factors, reg, num_threads=threads)
            checked = iteration % every == 0 or iteration == params.iterations
            loss = float("nan")
            if checked and (converge or progress is not None):
                loss = float(
                    _als.calculate_loss(
                        confidence, user_factors, item_factors, reg, num_threads=threads
                    )
                )
            if progress is not None:
                progress(iteration, loss)
            if converge and checked and converged(previous, loss, params.tolerance):
                break
            previous = loss if checked else previous
    return AlsFactors(
        user_factors=np.ascontiguousarray(user_factors, dtype=np.float32),
        item_factors=np.ascontiguousarray(item_factors, dtype=np.float32),
        user_ids=matrix.user_ids.copy(),
        item_ids=matrix.item_ids.copy(),
    )


def _start_from(
    init: AlsFactors, matrix: InteractionMatrix, user_factors: np.ndarray, item_factors: np.ndarray
) -> None:
    if init.user_factors.shape[1] != user_factors.shape[1]:
        raise ValueError(
            f"a warm start needs factors of width {user_factors.shape[1]}, "
            f"not {init.user_factors.shape[1]}"
        )
    for own, theirs, ids, known in (
        (user_factors, init.user_factors, matrix.user_ids, init.user_ids),
        (item_factors, init.item_factors, matrix.item_ids, init.item_ids),
    ):
        rows = pd.Index(known).get_indexer(np.asarray(ids, dtype=np.int64))
        own[rows >= 0] = theirs[rows[rows >= 0]]


def converged(previous: float, loss: float, tolerance: float) -> bool:
    """True when `loss` improved on `previous` by less than `tolerance` of it (NaN: not yet)."""
    if not (np.isfinite(previous) and np.isfinite(loss)):
        return False
    return previous - loss < tolerance * abs(previous)


class IterationProgress:
    """A fit_als progress callback that writes one line per iteration: how far the fit is, the
    time left at the pace so far (an upper bound: the fit may converge earlier), and the
    training loss where the fit computed it, saying when it converged."""

    def __init__(self, params: AlsParams, write: Callable[[str], None]) -> None:
        self.params, self.write = params, write
        # Until the second call the pace includes whatever ran before the fit (building the
        # matrix): an overestimate, never an underestimate.
        self.created = time.perf_counter()
        self.first: tuple[int, float] | None = None
        self.previous_loss = float("nan")

    def __call__(self, iteration: int, loss: float) -> None:
        total, now = self.params.iterations, time.perf_counter()
        if self.first is None or iteration <= self.first[0]:
            self.first = (iteration, now)
            pace = (now - self.created) / iteration
        else:
            pace = (now - self.first[1]) / (iteration - self.first[0])
        line = f"ALS iteration {iteration}/{total}, {pace:.2f} s per iteration"
        if iteration < total:
            line += f", at most {pace * (total - iteration):.0f} s left"
        if np.isfinite(loss):
            line += f": training loss {loss:.5f}"
            if self.params.tolerance > 0 and converged(
                self.previous_loss, loss, self.params.tolerance
            ):
                line += f" (improved < {self.params.tolerance:.2%}: converged, stopping)"
            self.previous_loss = loss
        self.write(line)


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
