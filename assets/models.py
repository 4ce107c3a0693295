"""Models group: ALS (holdout twin and serving fit) and the content model, tracked in MLflow."""

import json
import time

import dagster as dg

from assets.support.constants import OWNER
from recsys.models.als import AlsParams
from resources import MlflowTracking, ModelStore, Warehouse

ALS_MODEL = "creator-discovery-als"
CONTENT_MODEL = "creator-discovery-content"
MODEL_KINDS = {"python", "mlflow"}
HANDOFF = "latest.json"
TRAINED_THROUGH_TAG = "trained_through"


_ALS_DEFAULTS = AlsParams()


class AlsConfig(dg.Config):
    """ALS hyperparameters (defaults: recsys.models.als.AlsParams) and the metrics' cutoff k."""

    factors: int = _ALS_DEFAULTS.factors
    regularization: float = _ALS_DEFAULTS.regularization
    iterations: int = _ALS_DEFAULTS.iterations
    alpha: float = _ALS_DEFAULTS.alpha
    seed: int = _ALS_DEFAULTS.seed
    k: int = 10

    def params(self) -> AlsParams:
        return AlsParams(self.factors, self.regularization, self.iterations, self.alpha, self.seed)


def iteration_logger(context: dg.AssetExecutionContext, total: int):
    def log(iteration: int, loss: float) -> None:
        context.log.info(f"ALS iteration {iteration}/{total}: training loss {loss:.5f}")

    return log


@dg.asset(
    key=["models", "als_holdout"],
    group_name="models",
    kinds=MODEL_KINDS,
    owners=[OWNER],
    deps=[["marts", "interactions_train"], ["marts", "interactions_holdout"]],
    description=(
        "ALS fit on interactions before the cutoff and judged on the creators users discovered "
        "after it, beside the popularity floor and (on generated data) the true-preference ceiling."
    ),
)
def als_holdout(
    context: dg.AssetExecutionContext,
    config: AlsConfig,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.models.tracking import log_training_run, run_url
    from recsys.models.training import evaluate_als_on_holdout
    from recsys.warehouse import read_table

    with warehouse.connect(read_only=True) as conn:
        train = read_table(conn, "marts.interactions_train", ["user_id", "creator_id", "strength"])
        holdout = read_table(conn, "marts.interactions_holdout")
    params = config.params()
    started = time.perf_counter()
    report = evaluate_als_on_holdout(
        train,
        holdout,
        params,
        config.k,
        model_store.truth_dir,
        iteration_logger(context, params.iterations),
    )
    folder = model_store.folder("als", "holdout")
    report.factors.save(model_store.folder("als", "holdout", "model") / "factors.npz")
    metrics = report.flat_metrics() | {"fit_and_evaluate_seconds": time.perf_counter() - started}
    run_id = log_training_run(
        mlflow.config,
        "als-holdout",
        params.__dict__,
        metrics,
        folder / "model",
        {"role": "holdout"},
    )
    (folder / HANDOFF).write_text(json.dumps({"run_id": run_id, "params": params.__dict__}))
    k = config.k
    return dg.MaterializeResult(
        metadata={
            f"ndcg_at_{k}": report.als[f"ndcg_at_{k}"],
            f"popularity_ndcg_at_{k}": report.popularity[f"ndcg_at_{k}"],
            f"oracle_ndcg_at_{k}": (report.oracle or {}).get(f"ndcg_at_{k}", float("nan")),
            f"recall_at_{k}": report.als[f"recall_at_{k}"],
            "users_evaluated": report.n_users_evaluated,
            "metrics": dg.MetadataValue.json(metrics),
            "mlflow_run": dg.MetadataValue.url(run_url(mlflow.config, run_id, mlflow.ui_url)),
        }
    )


@dg.asset(
    key=["models", "als_model"],
    group_name="models",
    kinds=MODEL_KINDS,
    owners=[OWNER],
    deps=[["intermediate", "int_user_creator_interactions"], als_holdout],
    description=(
        "The ALS model that serves: the holdout twin's configuration fit on all interactions, "
        "registered in MLflow with the twin's metrics. The quality gate decides if it becomes "
        "the champion."
    ),
)
def als_model(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.models.tracking import (
        holdout_tags,
        log_training_run,
        metric_history,
        register_version,
        run_url,
        version_url,
    )
    from recsys.models.training import fit_serving_als
    from recsys.plots import metric_history_png, png_markdown
    from recsys.warehouse import read_table

    twin = json.loads((model_store.folder("als", "holdout") / HANDOFF).read_text())
    params = AlsParams(**twin["params"])
    with warehouse.connect(read_only=True) as conn:
        interactions = read_table(
            conn,
            "intermediate.int_user_creator_interactions",
            ["user_id", "creator_id", "strength", "as_of_at"],
        )
    factors = fit_serving_als(interactions, params, iteration_logger(context, params.iterations))
    folder = model_store.folder("als", "serving")
    factors.save(model_store.folder("als", "serving", "model") / "factors.npz")
    # The drift check compares the latest events with the window this version was trained on.
    trained_through = str(interactions["as_of_at"].max())
    tags = holdout_tags(mlflow.config, twin["run_id"]) | {TRAINED_THROUGH_TAG: trained_through}
    sizes = {"n_users": len(factors.user_ids), "n_creators": len(factors.item_ids)}
    run_id = log_training_run(
        mlflow.config,
        "als-serving",
        params.__dict__,
        sizes,
        folder / "model",
        tags | {"role": "serving"},
    )
    version = register_version(mlflow.config, ALS_MODEL, run_id, tags=tags)
    (folder / HANDOFF).write_text(json.dumps({"run_id": run_id, "version": version}))
    history = metric_history(mlflow.config, ALS_MODEL, ["ndcg_at_10", "popularity_ndcg_at_10"])
    plot = metric_history_png(history, ["ndcg_at_10", "popularity_ndcg_at_10"])
    return dg.MaterializeResult(
        metadata={
            "model_version": version,
            **sizes,
            "holdout_ndcg_at_10": float(tags.get("holdout_ndcg_at_10", "nan")),
            "quality_over_versions": dg.MetadataValue.md(png_markdown(plot, "nDCG@10 by version")),
            "mlflow_run": dg.MetadataValue.url(run_url(mlflow.config, run_id, mlflow.ui_url)),
            "mlflow_version": dg.MetadataValue.url(version_url(ALS_MODEL, version, mlflow.ui_url)),
        }
    )


@dg.asset_check(
    asset=als_model,
    blocking=True,
    description=(
        "Quality gate: the new version's holdout nDCG@10 must beat popularity by 10% and stay "
        "within 2% of the champion's. On pass, the champion alias moves to it."
    ),
)
def als_quality_gate(mlflow: MlflowTracking, model_store: ModelStore) -> dg.AssetCheckResult:
    from recsys.models.gate_rule import GatePolicy
    from recsys.models.promotion import gate_version

    serving = json.loads((model_store.folder("als", "serving") / HANDOFF).read_text())
    return gate_check_result(
        gate_version(mlflow.config, ALS_MODEL, serving["version"], GatePolicy())
    )


def gate_check_result(outcome) -> dg.AssetCheckResult:
    """A failed gate is an ERROR, so the challenger's downstream assets do not run."""
    return dg.AssetCheckResult(
        passed=outcome.decision.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=outcome.metadata(),
    )
