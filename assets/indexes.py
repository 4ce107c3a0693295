"""Indexes group: Annoy indexes over post embeddings and creator factors, checked for recall."""

import time
from pathlib import Path

import dagster as dg

from assets.content import content_model
from assets.models import CONTENT_MODEL, als_model
from assets.support.champions import champion_als, champion_embeddings, champion_folder
from assets.support.constants import OWNER
from resources import MlflowTracking, ModelStore, Warehouse

INDEX_KINDS = {"python", "annoy"}
MIN_RECALL_AT_10 = 0.95


class IndexConfig(dg.Config):
    n_trees: int = 50
    search_k: int | None = None
    seed: int = 7


def record_index_version(path: Path, version: int) -> None:
    """Which model version the index was built from, for the tables built on the index."""
    path.with_suffix(".model_version").write_text(str(version))


def index_version(path: Path) -> int:
    return int(path.with_suffix(".model_version").read_text())


def _index_metadata(index, path, seconds: float, version: int) -> dict:
    return {
        "items": len(index),
        "metric": index.metric,
        "dimension": index.dimension,
        "n_trees": index.n_trees,
        "build_seconds": seconds,
        "model_version": version,
        "path": dg.MetadataValue.path(str(path) + ".ann"),
    }


@dg.asset(
    key=["indexes", "post_index"],
    group_name="indexes",
    kinds=INDEX_KINDS,
    owners=[OWNER],
    deps=[content_model, ["marts", "creator_features"]],
    description=(
        "Annoy (angular) over the champion content model's post embeddings: similar posts and "
        "search. Also writes the search bundle that `python -m recsys.serving.search` reads."
    ),
)
def post_index(
    context: dg.AssetExecutionContext,
    config: IndexConfig,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.models.content import ContentModel
    from recsys.serving.ann import build_index
    from recsys.serving.search.engine import save_search_bundle
    from recsys.warehouse import read_table

    ids, vectors, version = champion_embeddings(mlflow, "post")
    context.log.info(f"Building the post index over {len(ids):,} posts, {config.n_trees} trees")
    started = time.perf_counter()
    index = build_index(
        vectors,
        ids,
        "angular",
        config.n_trees,
        config.seed,
        config.search_k,
        progress=lambda line: context.log.info(f"post index: {line}"),
    )
    seconds = time.perf_counter() - started
    path = model_store.folder("indexes") / "posts"
    index.save(path)
    record_index_version(path, version)
    with warehouse.connect(read_only=True) as conn:
        posts = read_table(conn, "marts.post_features", ["post_id", "creator_id", "title"])
        creators = read_table(
            conn, "marts.creator_features", ["creator_id", "creator_name", "category"]
        )
    folder, _ = champion_folder(mlflow, CONTENT_MODEL)
    model = ContentModel.load(folder / "content_model")
    bundle = save_search_bundle(model_store.folder("search"), model, index, posts, creators)
    return dg.MaterializeResult(
        metadata=_index_metadata(index, path, seconds, version)
        | {"search_bundle": dg.MetadataValue.path(str(bundle))}
    )


@dg.asset(
    key=["indexes", "creator_index"],
    group_name="indexes",
    kinds=INDEX_KINDS,
    owners=[OWNER],
    deps=[als_model],
    description=(
        "Annoy (angular) over the champion ALS creator factors: creators readers engage with "
        "alike. User -> creator ranking does not use it: exact scoring measured faster at this "
        "catalog size (docs/benchmarks.md)."
    ),
)
def creator_index(
    context: dg.AssetExecutionContext,
    config: IndexConfig,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.serving.ann import build_index

    factors, version = champion_als(mlflow)
    started = time.perf_counter()
    index = build_index(
        factors.item_factors,
        factors.item_ids,
        "angular",
        config.n_trees,
        config.seed,
        progress=lambda line: context.log.info(f"creator index: {line}"),
    )
    seconds = time.perf_counter() - started
    path = model_store.folder("indexes") / "creators"
    index.save(path)
    record_index_version(path, version)
    context.log.info(f"Built the creator index over {len(index):,} creators in {seconds:.1f} s")
    return dg.MaterializeResult(metadata=_index_metadata(index, path, seconds, version))


def _recall_check(asset: dg.AssetsDefinition, name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name="recall_at_10",
        blocking=True,
        description=(
            f"Recall@10 of the index against exact search on 500 sampled items must be at least "
            f"{MIN_RECALL_AT_10}."
        ),
    )
    def _check(model_store: ModelStore) -> dg.AssetCheckResult:
        from recsys.serving.ann import AnnIndex, recall_at_k

        index = AnnIndex.load(model_store.folder("indexes") / name)
        vectors = index.vectors()
        recall = recall_at_k(index, vectors, vectors, k=10, sample=500, seed=7)
        return dg.AssetCheckResult(
            passed=recall >= MIN_RECALL_AT_10,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"recall_at_10": recall, "threshold": MIN_RECALL_AT_10},
        )

    return _check


index_checks = [_recall_check(post_index, "posts"), _recall_check(creator_index, "creators")]
