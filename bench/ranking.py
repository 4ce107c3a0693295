"""The ranking stage (recsys/ranking/) beside the ALS it refines, each step in its own process.

- train: the ranker's two windows (candidates, point-in-time features, grades, the training
  window's own ALS fit), its two LightGBM fits and its holdout judgement, beside the ALS holdout
  twin's fit and judgement (recsys.models.training.evaluate_als_on_holdout) on the same warehouse;
- serve: user_creators in the ranker's order for a sample of readers (three retrievers, features
  as of now, LightGBM scores), beside ALS's own top 20 for the same readers, which is what the table
  holds when the ranker does not serve.

Needs the dbt (with the features models), als and content stages' outputs in the same folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from bench.measure import Measurement, measure_step

# As many readers as the recommend stage scores, drawn the same way.
SERVED_READERS = 100_000
SERVED_PER_READER = 20
SAMPLE_SEED = 7


def run(workdir: Path) -> list[tuple[Measurement, Measurement | None]]:
    warehouse = str(workdir / "dbt_built.duckdb")
    twin = measure_step("ALS twin + judge", "ranking-twin", warehouse, str(workdir))
    train = measure_step("ranker train", "ranking-train", warehouse, str(workdir))
    serve = measure_step("ranker serve", "ranking-serve", warehouse, str(workdir))
    als = measure_step("ALS top-20", "ranking-serve-als", warehouse, str(workdir))
    return [(train, twin), (serve, als)]


def twin(warehouse: str, workdir: str) -> float:
    """The ALS holdout twin with its figures, as models/als_holdout fits and judges it."""
    import duckdb

    from recsys.models.als import AlsParams
    from recsys.models.evaluation import K
    from recsys.models.gate_rule import ALS_GATE
    from recsys.models.training import evaluate_als_on_holdout
    from recsys.warehouse import read_table

    with duckdb.connect(warehouse, read_only=True) as conn:
        train = read_table(conn, "marts.interactions_train", ["user_id", "creator_id", "strength"])
        holdout = read_table(conn, "marts.interactions_holdout")
    started = time.perf_counter()
    report = evaluate_als_on_holdout(
        train, holdout, AlsParams(), K, None, None, ALS_GATE.bootstrap(), ALS_GATE.user_sample()
    )
    seconds = time.perf_counter() - started
    report.factors.save(Path(workdir) / "twin_factors.npz")
    figures = report.flat_metrics()
    (Path(workdir) / "twin_metrics.json").write_text(json.dumps(figures))
    print(f"ALS twin: nDCG@10 {figures['ndcg_at_10']:.4f} on {report.n_users_evaluated:,} readers")
    return seconds


def train(warehouse: str, workdir: str) -> float:
    """Both windows, both fits and the judgement; the serving ranker saved for `serve`."""
    import duckdb

    from recsys.models.als import AlsFactors, AlsParams
    from recsys.models.evaluation import K
    from recsys.models.gate_rule import ALS_GATE
    from recsys.ranking.training import (
        HoldoutTwin,
        RankingParams,
        build_ranking_data,
        fit_and_judge,
    )

    folder = Path(workdir)
    factors = AlsFactors.load(folder / "twin_factors.npz")
    baselines = {
        name: value
        for name, value in json.loads((folder / "twin_metrics.json").read_text()).items()
        if name.startswith("popularity_")
    }
    params = RankingParams()
    with duckdb.connect(warehouse, read_only=True) as conn:
        posts, creators = _embeddings(conn, folder)
        started = time.perf_counter()
        data = build_ranking_data(
            conn,
            HoldoutTwin(AlsParams(), None, factors),
            posts,
            creators,
            ALS_GATE.user_sample(),
            params,
            lambda line: print(f"{line} ({time.perf_counter() - started:.0f} s)", flush=True),
        )
    report = fit_and_judge(data, params, baselines, K, ALS_GATE.bootstrap())
    seconds = time.perf_counter() - started
    report.serving.save(folder / "ranker")
    figures = report.metrics
    print(
        f"holdout nDCG@10: ranker {figures['ndcg_at_10']:.4f}, ALS alone "
        f"{figures['als_ndcg_at_10']:.4f}, popularity {figures['popularity_ndcg_at_10']:.4f}; "
        f"candidate recall {figures['candidate_recall']:.3f} over "
        f"{figures['n_users_evaluated']:,.0f} readers"
    )
    return seconds


def serve(warehouse: str, workdir: str) -> float:
    """user_creators in the ranker's order for the sampled readers."""
    import duckdb

    from recsys.models.als import AlsFactors
    from recsys.ranking.ranker import Ranker
    from recsys.ranking.serving import ranked_user_creators

    folder = Path(workdir)
    factors = AlsFactors.load(folder / "factors.npz")
    ranker = Ranker.load(folder / "ranker")
    with duckdb.connect(warehouse, read_only=True) as conn:
        posts, creators = _embeddings(conn, folder)
        subscribed = _subscribed(conn)
        readers = _readers(factors)
        started = time.perf_counter()
        table = ranked_user_creators(
            conn, ranker, factors, posts, creators, readers, subscribed, SERVED_PER_READER
        )
    seconds = time.perf_counter() - started
    print(f"ranker: {len(readers) / seconds:,.0f} readers/s, {len(table):,} rows")
    return seconds


def serve_als(warehouse: str, workdir: str) -> float:
    """ALS's own top 20 for the same readers, subscriptions excluded (user_creators' ALS rows)."""
    import duckdb

    from recsys.models.als import AlsFactors, recommend

    factors = AlsFactors.load(Path(workdir) / "factors.npz")
    with duckdb.connect(warehouse, read_only=True) as conn:
        subscribed = _subscribed(conn)
    readers = _readers(factors)
    started = time.perf_counter()
    recommend(factors, None, readers, SERVED_PER_READER, exclude=subscribed)
    seconds = time.perf_counter() - started
    print(f"ALS: {len(readers) / seconds:,.0f} readers/s")
    return seconds


def _readers(factors) -> np.ndarray:
    rng = np.random.default_rng(SAMPLE_SEED)
    count = min(SERVED_READERS, len(factors.user_ids))
    return np.sort(rng.choice(factors.user_ids, size=count, replace=False))


def _subscribed(conn):
    from recsys.serving.inputs import ACTIVE_SUBSCRIPTIONS

    return conn.execute(ACTIVE_SUBSCRIPTIONS).df()


def _embeddings(conn, folder: Path):
    """The content stage's post embeddings and the creators' as their posts' mean."""
    from recsys.models.content import Embeddings, creator_embeddings

    arrays = np.load(folder / "post_embeddings.npz")
    posts = Embeddings(arrays["ids"], arrays["vectors"])
    owners = conn.execute("SELECT post_id, creator_id FROM staging.stg_posts").df()
    creator_of = owners.set_index("post_id")["creator_id"].reindex(posts.ids)
    known = creator_of.notna().to_numpy()
    ids, vectors = creator_embeddings(posts.vectors[known], creator_of[known].astype(np.int64))
    return posts, Embeddings(ids, vectors)
