"""Indexes group: Annoy indexes over post embeddings and creator factors, checked for recall
(exact search below a catalog size, where recall is 1.0 by construction). Above it, search_k is
chosen at build time by measured recall per cost and kept in the index's sidecar."""

import time
from pathlib import Path

import dagster as dg

from assets.content import content_model
from assets.models import als_model
from assets.support.champions import champion_als, champion_content_model, champion_embeddings
from assets.support.constants import OWNER
from assets.support.metadata import rounded
from recsys.models.store import IndexName
from recsys.serving.ann import IndexParams, RecallCheck
from resources import MlflowTracking, ModelStore, Warehouse

INDEX_KINDS = {"python", "annoy"}
RECALL = RecallCheck()

_INDEX_DEFAULTS = IndexParams()


class IndexConfig(dg.Config):
    """How the indexes are built (defaults: recsys.serving.ann.IndexParams)."""

    n_trees: int = _INDEX_DEFAULTS.n_trees
    search_k: int | None = _INDEX_DEFAULTS.search_k
    seed: int = _INDEX_DEFAULTS.seed
    exact_below_items: int = _INDEX_DEFAULTS.exact_below_items


def _choose_search_k(context: dg.AssetExecutionContext, index, vectors, config: IndexConfig):
    """Set the index's search_k, unless configured or the index searches exactly."""
    from recsys.serving.ann import CHOICE_MARGIN, choose_search_k

    if index.exact or config.search_k is not None:
        return
    started = time.perf_counter()
    # Its own sample (seed + 1): the recall check then measures the choice independently.
    choice = choose_search_k(
        index, vectors, RECALL.k, RECALL.min_recall + CHOICE_MARGIN, RECALL.sample, RECALL.seed + 1
    )
    index.search_k, index.search_choice = choice.search_k, choice.as_dict()
    seconds = time.perf_counter() - started
    context.log.info(f"{context.asset_key.to_user_string()}: {choice.reason} ({seconds:.1f} s)")


def _index_metadata(index, ann_file: Path, seconds: float, version: int) -> dict:
    choice = index.search_choice or {}
    return {
        "items": len(index),
        "metric": index.metric,
        "dimension": index.dimension,
        "n_trees": index.n_trees,
        "search": index.search_description,
        "search_k": index.search_k_for(RECALL.k) if not index.exact else None,
        "search_k_choice": choice.get("reason", "not measured (exact search or configured)"),
        "build_seconds": rounded(seconds),
        "model_version": version,
        "path": dg.MetadataValue.path(str(ann_file)),
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
    from recsys.serving.ann import build_index
    from recsys.serving.search.engine import save_search_bundle
    from recsys.warehouse import read_table

    embeddings, version = champion_embeddings(mlflow, "post")
    n_posts = len(embeddings.ids)
    context.log.info(f"Building the post index over {n_posts:,} posts, {config.n_trees} trees")
    started = time.perf_counter()
    index = build_index(
        embeddings.vectors,
        embeddings.ids,
        "angular",
        config.n_trees,
        config.seed,
        config.search_k,
        progress=lambda line: context.log.info(f"post index: {line}"),
        exact_below_items=config.exact_below_items,
    )
    seconds = time.perf_counter() - started
    _choose_search_k(context, index, embeddings.vectors, config)
    store = model_store.artifacts
    ann_file = store.save_index("posts", index, version)
    with warehouse.connect(read_only=True) as conn:
        posts = read_table(conn, "marts.post_features", ["post_id", "creator_id", "title"])
        creators = read_table(
            conn, "marts.creator_features", ["creator_id", "creator_name", "category"]
        )
    model = champion_content_model(mlflow)
    bundle = save_search_bundle(
        store.search_bundle_dir(), model, index, posts, creators, model_version=version
    )
    return dg.MaterializeResult(
        metadata=_index_metadata(index, ann_file, seconds, version)
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
        config.search_k,
        progress=lambda line: context.log.info(f"creator index: {line}"),
        exact_below_items=config.exact_below_items,
    )
    seconds = time.perf_counter() - started
    _choose_search_k(context, index, factors.item_factors, config)
    ann_file = model_store.artifacts.save_index("creators", index, version)
    context.log.info(f"Built the creator index over {len(index):,} creators in {seconds:.1f} s")
    return dg.MaterializeResult(metadata=_index_metadata(index, ann_file, seconds, version))


def _recall_check(asset: dg.AssetsDefinition, name: IndexName) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=f"recall_at_{RECALL.k}",
        blocking=True,
        description=(
            f"Recall@{RECALL.k} of the index against exact search on {RECALL.sample} sampled items "
            f"must be at least {RECALL.min_recall}, queried with the search_k the tables use "
            "(the sidecar's); an index below its exact-search threshold searches exactly "
            "(recall 1.0 by construction) and says so."
        ),
    )
    def _check(model_store: ModelStore) -> dg.AssetCheckResult:
        from recsys.serving.ann import self_recall

        index = model_store.artifacts.load_index(name)
        recall = self_recall(index, RECALL)
        return dg.AssetCheckResult(
            passed=recall >= RECALL.min_recall,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                f"recall_at_{RECALL.k}": rounded(recall),
                "threshold": RECALL.min_recall,
                "search": index.search_description,
                "search_k": index.search_k_for(RECALL.k) if not index.exact else None,
            },
        )

    return _check


index_checks = [_recall_check(post_index, "posts"), _recall_check(creator_index, "creators")]
