"""Neighbour tables at scale: Annoy build, threaded vs sequential batch queries, recall per
search_k, and what the precomputed similar_posts table costs at the large platform.

    python -m bench.neighbours                 # 200k items (about 1 minute)
    python -m bench.neighbours --items 1000000 # the large catalog's size (about 5 minutes)

The vectors are synthetic, of the post embeddings' shape (64 float32), drawn around cluster
centres as topics are. Recall depends on the data's geometry, so the search_k this chooses on
them need not be the one the real embeddings get (the pipeline chooses on its own index).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from recsys.serving.ann import (
    CHOICE_MARGIN,
    AnnIndex,
    IndexParams,
    RecallCheck,
    build_index,
    choose_search_k,
    query_threads,
)
from recsys.serving.user_tables import TableSizes

LARGE = "large"
# CPU seconds per wall second of the last batch on n threads: on a loaded machine the speed-up
# in wall time understates what the threads do; this says how many cores they kept busy.
CORES_USED: dict[int, float] = {}


def clustered_vectors(n: int, dim: int, clusters: int, seed: int) -> np.ndarray:
    """Points around `clusters` random centres, spread like topic embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    members = rng.integers(0, clusters, n)
    vectors = centres[members] + 1.0 * rng.normal(size=(n, dim)).astype(np.float32)
    return vectors.astype(np.float32)


def feed_eligible_at_large(days: float, seed: int) -> tuple[int, int]:
    """(posts published in the last `days` days, all posts) of the generator's large platform,
    drawn by the generator's own post schedule."""
    from recsys.datagen.clock import US_PER_DAY, day_start_us
    from recsys.datagen.platform import CREATORS_STREAM, POSTS_STREAM, streams
    from recsys.datagen.population import make_creators
    from recsys.datagen.posts import make_posts
    from recsys.datagen.scales import DEFAULT_START, SCALES

    scale = SCALES[LARGE]
    start_us = day_start_us(DEFAULT_START)
    end_us = start_us + scale.n_days * US_PER_DAY
    rng = streams(seed)
    creators = make_creators(scale.n_creators, start_us, scale.n_days, rng(CREATORS_STREAM))
    posts = make_posts(creators, scale.n_posts, start_us, end_us, rng(POSTS_STREAM))
    recent = posts.published_us >= end_us - int(days * US_PER_DAY)
    return int(recent.sum()), len(posts.published_us)


def timed_batches(
    index: AnnIndex, queries: np.ndarray, k: int, search_k: int, threads: int, rounds: int
) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Best seconds of `rounds` runs of the batch, and its result."""
    best, result = float("inf"), None
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        result = index.query_many(queries, k, search_k, threads)
        seconds = time.perf_counter() - started
        CORES_USED[threads] = (time.process_time() - cpu) / seconds
        best = min(best, seconds)
    return best, result


def bare_annoy_seconds(
    index: AnnIndex, queries: np.ndarray, k: int, search_k: int, threads: int
) -> float:
    """Annoy's own queries alone (no rescoring), split over `threads` threads."""
    from concurrent.futures import ThreadPoolExecutor

    def run(chunk: np.ndarray) -> None:
        for query in chunk:
            index.annoy.get_nns_by_vector(query, k, search_k=search_k)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, np.array_split(queries, threads * 8)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=2_000, help="batch for queries/s")
    parser.add_argument("--threads", type=int, default=query_threads())
    parser.add_argument("--feed-days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    params, check = IndexParams(), RecallCheck()
    n = TableSizes().similar_per_item + 1  # the table asks one extra: the item finds itself
    vectors = clustered_vectors(args.items, args.dim, args.clusters, args.seed)
    ids = np.arange(1, args.items + 1, dtype=np.int64)
    print(f"{args.items:,} x {args.dim} float32 vectors around {args.clusters:,} centres")

    started = time.perf_counter()
    index = build_index(vectors, ids, "angular", params.n_trees, params.seed)
    build = time.perf_counter() - started
    print(f"build: {build:.1f} s ({params.n_trees} trees, one build thread, as the asset)")

    target = check.min_recall + CHOICE_MARGIN
    started = time.perf_counter()
    choice = choose_search_k(
        index,
        vectors,
        check.k,
        target,
        check.sample,
        check.seed + 1,
        threads=args.threads,
        measure_all=True,
    )
    print(
        f"recall@{check.k} vs exact on {check.sample} items, {args.threads} threads "
        f"({time.perf_counter() - started:.1f} s with the exact search):"
    )
    for trial in choice.trials:
        mark = "  <- chosen" if trial.search_k == choice.search_k else ""
        print(
            f"  search_k {trial.search_k:>7,}: recall {trial.recall:.3f}, "
            f"{trial.seconds_per_query * 1e3:6.2f} ms/query{mark}"
        )
    print(f"choice (target {target:.2f}): {choice.reason}")

    rng = np.random.default_rng(args.seed + 2)
    queries = vectors[rng.choice(args.items, size=min(args.queries, args.items), replace=False)]
    times: dict[int, float] = {}
    results = {}
    for threads in (1, args.threads, 1, args.threads):  # interleaved: the load hits both alike
        seconds, results[threads] = timed_batches(index, queries, n, choice.search_k, threads, 1)
        times[threads] = min(times.get(threads, float("inf")), seconds)
    same = all(np.array_equal(a, b) for a, b in zip(results[1], results[args.threads], strict=True))
    sequential, threaded = len(queries) / times[1], len(queries) / times[args.threads]
    print(
        f"batch of {len(queries):,} queries, k={n}, search_k {choice.search_k:,} (best of 2):"
        f"\n  sequential {sequential:,.0f} q/s, {args.threads} threads {threaded:,.0f} q/s: "
        f"{threaded / sequential:.2f}x; identical results: {same}; cores busy "
        f"{CORES_USED[1]:.2f} vs {CORES_USED[args.threads]:.2f} (load average "
        f"{os.getloadavg()[0]:.1f})"
    )

    bare = {
        threads: bare_annoy_seconds(index, queries, n, choice.search_k, threads)
        for threads in (1, args.threads)
    }
    print(
        f"  bare Annoy get_nns_by_vector, same queries: {len(queries) / bare[1]:,.0f} q/s vs "
        f"{len(queries) / bare[args.threads]:,.0f} q/s on {args.threads} threads: "
        f"{bare[1] / bare[args.threads]:.2f}x (Annoy searches without the GIL)"
    )

    eligible, catalog = feed_eligible_at_large(args.feed_days, args.seed)
    old_k = params.n_trees * n * 10  # the search_k the tables used before (n_trees * k * 10)
    old_seconds, _ = timed_batches(index, queries[:500], n, old_k, 1, 1)
    old_rate = 500 / old_seconds
    print(
        f"large platform: {eligible:,} of {catalog:,} posts published in the last "
        f"{args.feed_days:g} days (generator seed {args.seed})"
    )
    print(
        f"  similar_posts now: {eligible:,} posts at {threaded:,.0f} q/s = "
        f"{eligible / threaded:,.1f} s"
        f"\n  before: all {catalog:,} posts, sequential at search_k {old_k:,} "
        f"({old_rate:,.0f} q/s here) = {catalog / old_rate:,.0f} s"
    )


if __name__ == "__main__":
    main()
