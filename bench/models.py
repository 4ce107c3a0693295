"""Benchmark steps of the models and indexes: ours against bare implicit, sklearn and numpy."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

RECOMMEND_USERS = 100_000
N = 50


def als_prep(warehouse: str, workdir: str) -> None:
    """The confidence matrix both fits use, built once from the dbt warehouse."""
    import duckdb
    import scipy.sparse as sp

    from recsys.models.als import AlsParams
    from recsys.models.interactions import build_matrix

    with duckdb.connect(warehouse, read_only=True) as conn:
        interactions = conn.execute(
            "SELECT user_id, creator_id, strength FROM intermediate.int_user_creator_interactions"
        ).df()
    matrix = build_matrix(interactions, AlsParams().alpha)
    sp.save_npz(Path(workdir) / "confidence.npz", matrix.confidence)
    np.savez(Path(workdir) / "ids.npz", user_ids=matrix.user_ids, item_ids=matrix.item_ids)


def _matrix(workdir: str):
    import scipy.sparse as sp

    from recsys.models.interactions import InteractionMatrix

    ids = np.load(Path(workdir) / "ids.npz")
    confidence = sp.load_npz(Path(workdir) / "confidence.npz").tocsr()
    return InteractionMatrix(confidence, ids["user_ids"], ids["item_ids"])


def als_fit(workdir: str) -> float:
    from recsys.models.als import AlsParams, fit_als

    matrix = _matrix(workdir)
    started = time.perf_counter()
    factors = fit_als(matrix, AlsParams())
    seconds = time.perf_counter() - started
    factors.save(Path(workdir) / "factors.npz")
    return seconds


def als_fit_bare(workdir: str) -> float:
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from recsys.models.als import AlsParams

    params = AlsParams()
    matrix = _matrix(workdir)
    model = AlternatingLeastSquares(
        factors=params.factors,
        regularization=params.regularization,
        alpha=1.0,
        iterations=params.iterations,
        random_state=params.seed,
        use_gpu=False,
    )
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(matrix.confidence, show_progress=False)
    return time.perf_counter() - started


def _users(matrix) -> np.ndarray:
    rng = np.random.default_rng(7)
    count = min(RECOMMEND_USERS, len(matrix.user_ids))
    return np.sort(rng.choice(len(matrix.user_ids), size=count, replace=False))


def recommend_ours(workdir: str) -> float:
    from recsys.models.als import AlsFactors, recommend

    matrix = _matrix(workdir)
    factors = AlsFactors.load(Path(workdir) / "factors.npz")
    rows = _users(matrix)
    started = time.perf_counter()
    recommend(factors, matrix, matrix.user_ids[rows], N, exclude=matrix.confidence)
    seconds = time.perf_counter() - started
    print(f"ours: {len(rows) / seconds:,.0f} users/s")
    return seconds


def recommend_bare(workdir: str) -> float:
    from implicit.cpu.als import AlternatingLeastSquares

    from recsys.models.als import AlsFactors

    matrix = _matrix(workdir)
    factors = AlsFactors.load(Path(workdir) / "factors.npz")
    model = AlternatingLeastSquares(factors=factors.user_factors.shape[1])
    model.user_factors, model.item_factors = factors.user_factors, factors.item_factors
    rows = _users(matrix)
    started = time.perf_counter()
    model.recommend(rows, matrix.confidence[rows], N=N, filter_already_liked_items=True)
    seconds = time.perf_counter() - started
    print(f"bare implicit: {len(rows) / seconds:,.0f} users/s")
    return seconds


def content_fit(landing: str, workdir: str) -> float:
    import pandas as pd

    from recsys.models.content import ContentParams, fit_content_model, post_texts

    posts = pd.read_parquet(Path(landing) / "posts", columns=["post_id", "title", "body"])
    started = time.perf_counter()
    model = fit_content_model(post_texts(posts), ContentParams())
    embeddings = model.embed(post_texts(posts))
    seconds = time.perf_counter() - started
    np.savez(Path(workdir) / "post_embeddings.npz", ids=posts["post_id"], vectors=embeddings)
    return seconds


def index_build(workdir: str) -> float:
    from recsys.serving.ann import IndexParams, RecallCheck, build_index, recall_at_k

    # The index the post_index asset builds, checked the way its recall check does.
    params, check = IndexParams(), RecallCheck()
    arrays = np.load(Path(workdir) / "post_embeddings.npz")
    started = time.perf_counter()
    index = build_index(arrays["vectors"], arrays["ids"], "angular", params.n_trees, params.seed)
    seconds = time.perf_counter() - started
    queries = arrays["vectors"]
    for search_k in (5_000, 20_000, 50_000):
        began = time.perf_counter()
        recall = recall_at_k(
            index, queries, queries, check.k, check.sample, check.seed, search_k=search_k
        )
        per_query = (time.perf_counter() - began) / check.sample
        print(
            f"annoy search_k={search_k}: recall@{check.k} {recall:.3f}, "
            f"{per_query * 1e3:.1f} ms/query"
        )
    return seconds


def exact_search(workdir: str) -> float:
    from recsys.serving.ann import exact_top_k

    arrays = np.load(Path(workdir) / "post_embeddings.npz")
    vectors = arrays["vectors"]
    sample = vectors[np.random.default_rng(7).choice(len(vectors), 500, replace=False)]
    started = time.perf_counter()
    exact_top_k(vectors, sample, 10, "angular")
    seconds = time.perf_counter() - started
    print(f"exact numpy: {seconds / 500 * 1e3:.1f} ms/query in a batch of 500")
    return seconds
