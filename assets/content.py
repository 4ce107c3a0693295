"""Content model: TF-IDF + SVD embeddings of posts (and creators as their posts' mean)."""

import dagster as dg

from assets.models import CONTENT_MODEL, MODEL_KINDS, gate_check_result
from assets.support.constants import OWNER
from assets.support.metadata import rounded_all
from recsys.models.content import ContentParams
from recsys.models.gate_rule import CONTENT_GATE
from resources import MlflowTracking, ModelStore, Warehouse

_CONTENT_DEFAULTS = ContentParams()


class ContentConfig(dg.Config):
    """Size of the text embedding and its seed (defaults: recsys.models.content.ContentParams)."""

    dims: int = _CONTENT_DEFAULTS.dims
    max_features: int = _CONTENT_DEFAULTS.max_features
    min_df: int = _CONTENT_DEFAULTS.min_df
    seed: int = _CONTENT_DEFAULTS.seed

    def params(self) -> ContentParams:
        return ContentParams(self.dims, self.max_features, self.min_df, self.seed)


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
    from recsys.models.fingerprint import CONTENT_CODE_VERSION, FINGERPRINT_TAG, fingerprint
    from recsys.models.store import ContentHandoff
    from recsys.models.tracking import (
        find_version,
        log_training_run,
        register_version,
        run_url,
        version_record,
        version_url,
    )
    from recsys.models.training import fit_and_judge_content
    from recsys.warehouse import read_table

    with warehouse.connect(read_only=True) as conn:
        posts = read_table(
            conn, "marts.post_features", ["post_id", "creator_id", "category", "title", "body"]
        )
    params = config.params()
    inputs = fingerprint(posts, params.__dict__, CONTENT_CODE_VERSION)
    version = find_version(mlflow.config, CONTENT_MODEL, FINGERPRINT_TAG, inputs)
    reused = version is not None
    if version is not None:
        context.log.info(f"Same inputs as version {version} of {CONTENT_MODEL}: reusing it")
        record = version_record(mlflow.config, CONTENT_MODEL, version)
        run_id, metrics = record.run_id, record.metrics
    else:
        context.log.info(f"Fitting the content model on {len(posts):,} posts")
        report = fit_and_judge_content(posts, params)
        folder = model_store.artifacts.save_content(report.model, report.posts, report.creators)
        tags = {FINGERPRINT_TAG: inputs}
        metrics = report.metrics
        run_id = log_training_run(mlflow.config, "content", params.__dict__, metrics, folder, tags)
        version = register_version(mlflow.config, CONTENT_MODEL, run_id, tags=tags)
    model_store.artifacts.write_content_handoff(ContentHandoff(version))
    return dg.MaterializeResult(
        metadata={
            "model_version": version,
            "reused_version": reused,
            "posts": len(posts),
            **rounded_all(metrics),
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
        f"Quality gate: {CONTENT_GATE.metric}, the share of a post's nearest posts in its "
        f"category, must be at least {CONTENT_GATE.min_lift_over_floor:g}x chance and no "
        f"more than {CONTENT_GATE.max_regression_vs_champion:.0%} below the champion's; on pass "
        "the champion alias moves."
    ),
)
def content_quality_gate(mlflow: MlflowTracking, model_store: ModelStore) -> dg.AssetCheckResult:
    from recsys.models.promotion import gate_version

    version = model_store.artifacts.read_content_handoff().version
    return gate_check_result(
        gate_version(mlflow.config, CONTENT_MODEL, version, CONTENT_GATE, floor_prefix="chance_")
    )
