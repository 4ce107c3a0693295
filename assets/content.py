"""Content model: TF-IDF + SVD embeddings of posts (and creators as their posts' mean)."""

import time

import dagster as dg
import numpy as np

from assets.models import CONTENT_MODEL, MODEL_KINDS, gate_check_result
from assets.support.constants import OWNER
from resources import MlflowTracking, ModelStore, Warehouse

AGREEMENT = "category_agreement_at_10"


class ContentConfig(dg.Config):
    """Size of the text embedding and its seed."""

    dims: int = 64
    max_features: int = 20_000
    min_df: int = 2
    seed: int = 7


@dg.asset(
    key=["models", "content_model"],
    group_name="models",
    kinds=MODEL_KINDS,
    owners=[OWNER],
    deps=[["marts", "post_features"]],
    description=(
        "Post embeddings from title and body (TF-IDF -> TruncatedSVD -> L2), creator embeddings "
        "as the mean of their posts; serves similar posts, brand-new posts and search."
    ),
)
def content_model(
    context: dg.AssetExecutionContext,
    config: ContentConfig,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.models.content import (
        ContentParams,
        creator_embeddings,
        fit_content_model,
        post_texts,
    )
    from recsys.models.tracking import log_training_run, register_version, run_url, version_url
    from recsys.models.training import neighbour_category_agreement
    from recsys.warehouse import read_table

    with warehouse.connect(read_only=True) as conn:
        posts = read_table(
            conn, "marts.post_features", ["post_id", "creator_id", "category", "title", "body"]
        )
    params = ContentParams(config.dims, config.max_features, config.min_df, config.seed)
    started = time.perf_counter()
    context.log.info(f"Fitting the content model on {len(posts):,} posts")
    model = fit_content_model(post_texts(posts), params)
    embeddings = model.embed(post_texts(posts))
    creator_ids, creator_vectors = creator_embeddings(embeddings, posts["creator_id"].to_numpy())
    categories = posts["category"].to_numpy()
    shares = posts["category"].value_counts(normalize=True).to_numpy()
    metrics = {
        AGREEMENT: neighbour_category_agreement(embeddings, categories, 10, 1_000, config.seed),
        f"chance_{AGREEMENT}": float(np.sum(shares**2)),
        "explained_variance": model.explained_variance,
        "fit_seconds": time.perf_counter() - started,
    }
    folder = model_store.folder("content", "model")
    model.save(folder / "content_model")
    np.savez(folder / "post_embeddings.npz", ids=posts["post_id"].to_numpy(), vectors=embeddings)
    np.savez(folder / "creator_embeddings.npz", ids=creator_ids, vectors=creator_vectors)
    run_id = log_training_run(mlflow.config, "content", params.__dict__, metrics, folder)
    version = register_version(mlflow.config, CONTENT_MODEL, run_id)
    (model_store.folder("content") / "latest.json").write_text(f'{{"version": {version}}}')
    return dg.MaterializeResult(
        metadata={
            "model_version": version,
            "posts": len(posts),
            **{name: float(value) for name, value in metrics.items()},
            "mlflow_run": dg.MetadataValue.url(run_url(mlflow.config, run_id, mlflow.ui_url)),
            "mlflow_version": dg.MetadataValue.url(
                version_url(CONTENT_MODEL, version, mlflow.ui_url)
            ),
        }
    )


@dg.asset_check(
    asset=content_model,
    blocking=True,
    description=(
        "Quality gate: a post's 10 nearest posts must share its category far more often than "
        "chance (3x) and no less than 2% below the champion's; on pass the champion alias moves."
    ),
)
def content_quality_gate(mlflow: MlflowTracking, model_store: ModelStore) -> dg.AssetCheckResult:
    import json

    from recsys.models.gate_rule import GatePolicy
    from recsys.models.promotion import gate_version

    version = json.loads((model_store.folder("content") / "latest.json").read_text())["version"]
    policy = GatePolicy(metric=AGREEMENT, min_lift_over_popularity=3.0)
    return gate_check_result(
        gate_version(mlflow.config, CONTENT_MODEL, version, policy, floor_prefix="chance_")
    )
