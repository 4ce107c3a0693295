"""Models group: ALS (holdout twin and serving fit) and the content model, tracked in MLflow."""

import time
from dataclasses import replace

import dagster as dg

from assets.support.constants import OWNER
from assets.support.metadata import rounded, rounded_all
from recsys.models.als import AlsParams
from recsys.models.evaluation import K
from recsys.models.gate_rule import ALS_GATE
from resources import MlflowTracking, ModelStore, Warehouse

ALS_MODEL = "creator-discovery-als"
CONTENT_MODEL = "creator-discovery-content"
MODEL_KINDS = {"python", "mlflow"}
TRAINED_THROUGH_TAG = "trained_through"


_ALS_DEFAULTS = AlsParams()


class AlsConfig(dg.Config):
    """ALS hyperparameters and the metrics' cutoff k (default: recsys.models.evaluation.K). An
    unset hyperparameter takes the configuration models/als_tuning chose, or the defaults
    (recsys.models.als.AlsParams) when tuning is off; a set one wins over both."""

    factors: int | None = None
    regularization: float | None = None
    iterations: int | None = None
    alpha: float | None = None
    seed: int | None = None
    tolerance: float | None = None
    loss_every: int | None = None
    k: int = K

    def params(self, base: AlsParams = _ALS_DEFAULTS) -> AlsParams:
        chosen = {name: getattr(self, name) for name in base.__dict__}
        return replace(base, **{name: value for name, value in chosen.items() if value is not None})


def iteration_logger(context: dg.AssetExecutionContext, params: AlsParams):
    """Log each ALS iteration with the time left (at most: the fit may converge earlier) and,
    where the fit computed it, the training loss."""
    from recsys.models.als import IterationProgress

    return IterationProgress(params, context.log.info)


def twin_factors(config, run_id: str):
    """The holdout twin's factors as logged to its MLflow run, or None if the run has none."""
    import tempfile

    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from recsys.models.als import AlsFactors
    from recsys.models.store import ALS_FACTORS

    client = MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.tracking_uri)
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = client.download_artifacts(run_id, f"model/{ALS_FACTORS}", folder)
        except (MlflowException, OSError):
            return None
        return AlsFactors.load(path)


def figures_with_intervals(
    metrics: dict[str, float], metric: str, prefixes: tuple[str, ...]
) -> dict[str, float | str]:
    """Each prefixed figure (ndcg_at_10, popularity_ndcg_at_10, ...) and, beside it, its bootstrap
    interval over users as text ("0.2310 to 0.2530"); NaN and "n/a" when not measured."""
    from recsys.models.evaluation import ci_names

    shown: dict[str, float | str] = {}
    for prefix in prefixes:
        name = f"{prefix}{metric}"
        low, high = ci_names(name)
        shown[name] = rounded(metrics.get(name, float("nan")))
        interval = (metrics.get(low), metrics.get(high))
        shown[f"{name}_interval"] = (
            f"{interval[0]:.4f} to {interval[1]:.4f}" if None not in interval else "n/a"
        )
    return shown


def judged_sample(metrics: dict[str, float], metric: str) -> dict[str, int | float]:
    """How many users the figures average over, out of how many could be judged (a seeded sample
    above ALS_GATE.max_users_judged), and how wide that makes the metric's interval."""
    from recsys.models.evaluation import N_USERS_ELIGIBLE, N_USERS_EVALUATED, ci_names

    evaluated = int(metrics[N_USERS_EVALUATED])
    low, high = ci_names(metric)
    width = metrics[high] - metrics[low] if low in metrics and high in metrics else float("nan")
    return {
        "users_evaluated": evaluated,
        # Runs from before sampling judged every eligible user.
        "users_eligible": int(metrics.get(N_USERS_ELIGIBLE, evaluated)),
        f"{metric}_interval_width": rounded(width),
    }


@dg.asset(
    key=["models", "als_holdout"],
    group_name="models",
    kinds=MODEL_KINDS,
    owners=[OWNER],
    deps=[
        ["marts", "interactions_train"],
        ["marts", "interactions_holdout"],
        ["models", "als_tuning"],
    ],
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
    from recsys.models.fingerprint import ALS_CODE_VERSION, FINGERPRINT_TAG, fingerprint
    from recsys.models.store import HoldoutHandoff
    from recsys.models.tracking import find_run, log_training_run, run_metrics, run_url
    from recsys.models.training import evaluate_als_on_holdout
    from recsys.models.tuning import restrengthened
    from recsys.warehouse import read_table

    tuning = model_store.artifacts.read_tuning_handoff()
    with warehouse.connect(read_only=True) as conn:
        train = read_table(conn, "marts.interactions_train", ["user_id", "creator_id", "strength"])
        holdout = read_table(conn, "marts.interactions_holdout")
        if tuning.half_life_days is not None:
            # The search chose another half-life than dbt's: the train strength is recomputed.
            train = restrengthened(train, conn, True, tuning.half_life_days)
    params = config.params(tuning.params if tuning.tuned else AlsParams())
    k = config.k
    sample = ALS_GATE.user_sample()
    setup = params.__dict__ | {
        "k": k,
        "with_oracle": model_store.truth_dir is not None,
        "max_users_judged": sample.max_users,
        "sample_seed": sample.seed,
    }
    if tuning.half_life_days is not None:
        setup["half_life_days"] = tuning.half_life_days
    tags = {
        "role": "holdout",
        FINGERPRINT_TAG: fingerprint({"train": train, "holdout": holdout}, setup, ALS_CODE_VERSION),
    }
    store = model_store.artifacts
    # The same data, configuration and code give the same numbers: judge them once.
    reused = find_run(mlflow.config, tags)
    if reused is not None:
        run_id = reused
        context.log.info(f"Same inputs as holdout run {run_id}: reusing its metrics and factors")
        metrics = run_metrics(mlflow.config, run_id)
    else:
        started = time.perf_counter()
        report = evaluate_als_on_holdout(
            train,
            holdout,
            params,
            k,
            model_store.truth_dir,
            iteration_logger(context, params),
            ALS_GATE.bootstrap(),
            sample,
        )
        folder = store.save_als("holdout", report.factors)
        metrics = report.flat_metrics() | {
            "fit_and_evaluate_seconds": time.perf_counter() - started
        }
        run_id = log_training_run(
            mlflow.config, "als-holdout", params.__dict__, metrics, folder, tags
        )
    store.write_holdout_handoff(HoldoutHandoff(run_id, params, tuning.half_life_days))
    return dg.MaterializeResult(
        metadata={
            **figures_with_intervals(metrics, f"ndcg_at_{k}", ("", "popularity_", "oracle_")),
            f"recall_at_{k}": rounded(metrics[f"recall_at_{k}"]),
            **judged_sample(metrics, f"ndcg_at_{k}"),
            "reused_run": reused or "",
            "metrics": dg.MetadataValue.json(rounded_all(metrics)),
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
    from recsys.models.fingerprint import ALS_CODE_VERSION, FINGERPRINT_TAG, fingerprint
    from recsys.models.store import ServingHandoff
    from recsys.models.tracking import (
        find_version,
        holdout_tags,
        log_training_run,
        metric_history,
        register_version,
        run_url,
        version_record,
        version_url,
    )
    from recsys.models.training import fit_serving_als
    from recsys.models.tuning import restrengthened
    from recsys.plots import metric_history_png, png_markdown
    from recsys.warehouse import read_table

    store = model_store.artifacts
    twin = store.read_holdout_handoff()
    params = twin.params
    with warehouse.connect(read_only=True) as conn:
        interactions = read_table(
            conn,
            "intermediate.int_user_creator_interactions",
            ["user_id", "creator_id", "strength", "as_of_at"],
        )
        if twin.half_life_days is not None:
            # The twin judged a tuned half-life: the serving strength uses it too.
            interactions = restrengthened(interactions, conn, False, twin.half_life_days)
    # The twin is part of the inputs: the version carries its metrics.
    inputs = fingerprint(
        interactions, params.__dict__ | {"holdout_run_id": twin.run_id}, ALS_CODE_VERSION
    )
    version = find_version(mlflow.config, ALS_MODEL, FINGERPRINT_TAG, inputs)
    reused = version is not None
    if version is not None:
        context.log.info(f"Same inputs as version {version} of {ALS_MODEL}: reusing it, no refit")
        record = version_record(mlflow.config, ALS_MODEL, version)
        run_id, tags = record.run_id, record.tags
        sizes = {name: int(record.metrics[name]) for name in ("n_users", "n_creators")}
    else:
        # Warm-started from the twin: on the demo its loss at iteration 1 is the cold fit's at 12,
        # and it converges in 6 iterations instead of 12 (docs/benchmarks.md, ALS).
        init = twin_factors(mlflow.config, twin.run_id)
        context.log.info(
            "Serving fit warm-started from the holdout twin's factors"
            if init is not None
            else "The holdout twin's run holds no factors: the serving fit starts cold"
        )
        factors = fit_serving_als(interactions, params, iteration_logger(context, params), init)
        folder = store.save_als("serving", factors)
        # The drift check compares the latest events with the window this version was trained on.
        trained_through = str(interactions["as_of_at"].max())
        tags = holdout_tags(mlflow.config, twin.run_id) | {
            TRAINED_THROUGH_TAG: trained_through,
            FINGERPRINT_TAG: inputs,
        }
        sizes = {"n_users": len(factors.user_ids), "n_creators": len(factors.item_ids)}
        run_id = log_training_run(
            mlflow.config,
            "als-serving",
            params.__dict__,
            sizes,
            folder,
            tags | {"role": "serving"},
        )
        version = register_version(mlflow.config, ALS_MODEL, run_id, tags=tags)
    store.write_serving_handoff(ServingHandoff(run_id, version))
    # The metric the gate judges, beside its floor, across the registered versions.
    judged = [ALS_GATE.metric, f"popularity_{ALS_GATE.metric}"]
    plot = metric_history_png(metric_history(mlflow.config, ALS_MODEL, judged), judged)
    return dg.MaterializeResult(
        metadata={
            "model_version": version,
            "reused_version": reused,
            **sizes,
            f"holdout_{ALS_GATE.metric}": rounded(
                float(tags.get(f"holdout_{ALS_GATE.metric}", "nan"))
            ),
            "quality_over_versions": dg.MetadataValue.md(
                png_markdown(plot, f"{ALS_GATE.metric} by version")
            ),
            "mlflow_run": dg.MetadataValue.url(run_url(mlflow.config, run_id, mlflow.ui_url)),
            "mlflow_version": dg.MetadataValue.url(version_url(ALS_MODEL, version, mlflow.ui_url)),
        }
    )


@dg.asset_check(
    asset=als_model,
    blocking=True,
    description=(
        f"Quality gate: judged only over at least {ALS_GATE.min_users_judged} users (else it "
        f"refuses and the champion stays), the new version's holdout {ALS_GATE.metric} must beat "
        f"popularity by {ALS_GATE.min_lift_over_floor - 1:.0%} and stay within "
        f"{ALS_GATE.max_regression_vs_champion:.0%} of the champion's (or reach it within its "
        "bootstrap interval). On pass, the champion alias moves to it."
    ),
)
def als_quality_gate(mlflow: MlflowTracking, model_store: ModelStore) -> dg.AssetCheckResult:
    from recsys.models.promotion import gate_version

    version = model_store.artifacts.read_serving_handoff().version
    return gate_check_result(gate_version(mlflow.config, ALS_MODEL, version, ALS_GATE))


def gate_check_result(outcome) -> dg.AssetCheckResult:
    """A failed gate is an ERROR, so the challenger's downstream assets do not run."""
    metadata = {
        name: rounded(value) if isinstance(value, float) else value
        for name, value in outcome.metadata().items()
    }
    return dg.AssetCheckResult(
        passed=outcome.decision.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
    )
