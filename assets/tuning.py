"""Models group: the ALS search whose best configuration the holdout twin fits."""

# No `from __future__ import annotations`: Dagster reads the config class from the annotation of
# an asset defined inside the factory, which a string annotation would hide.

from typing import TYPE_CHECKING

import dagster as dg

from assets.support.constants import OWNER
from assets.support.metadata import rounded
from recsys.models.evaluation import K
from recsys.settings import (
    DEFAULT_TUNING_MAX_USERS,
    DEFAULT_TUNING_SECONDS,
    DEFAULT_TUNING_TRIALS,
)
from resources import MlflowTracking, ModelStore, Warehouse

if TYPE_CHECKING:
    from recsys.models.tuning import SearchOutcome

MODEL_KINDS = {"python", "mlflow", "optuna"}
SCORE = f"validation_ndcg_at_{K}"


def build_als_tuning(
    default_trials: int = DEFAULT_TUNING_TRIALS, default_seconds: float = DEFAULT_TUNING_SECONDS
) -> dg.AssetsDefinition:
    """The search asset, its budget defaulting to the settings (CREATOR_DISCOVERY_TUNING_*)."""

    class AlsTuningConfig(dg.Config):
        """The ALS search's budget (defaults: CREATOR_DISCOVERY_TUNING_TRIALS and _SECONDS);
        trials = 0 turns tuning off, and the holdout twin fits its own config's defaults.
        max_users: the search reads a seeded sample of this many train users, all when fewer."""

        trials: int = default_trials
        timeout_seconds: float = default_seconds
        seed: int = 7
        validation_days: int = 7
        max_users: int = DEFAULT_TUNING_MAX_USERS

    @dg.asset(
        key=["models", "als_tuning"],
        group_name="models",
        kinds=MODEL_KINDS,
        owners=[OWNER],
        deps=[["marts", "interactions_train"]],
        description=(
            "A seeded Optuna search of ALS factors, regularization, iterations, alpha and the "
            "interaction half-life on the last days of train (never the holdout); trial 0 is the "
            "defaults, which stay unless beaten. The holdout twin fits the best configuration."
        ),
    )
    def als_tuning(
        context: dg.AssetExecutionContext,
        config: AlsTuningConfig,
        warehouse: Warehouse,
        mlflow: MlflowTracking,
        model_store: ModelStore,
    ) -> dg.MaterializeResult:
        from recsys.models.tuning import SearchBudget, run_search

        budget = SearchBudget(
            config.trials,
            config.timeout_seconds,
            config.seed,
            config.validation_days,
            config.max_users,
        )

        def log_trial(number: int, score: float, seconds: float) -> None:
            context.log.info(f"Trial {number}: {SCORE} {score:.4f} in {seconds:.1f} s")

        with warehouse.connect(read_only=True) as conn:
            outcome = run_search(conn, budget, mlflow.config, model_store.artifacts, log_trial)
        return dg.MaterializeResult(metadata=_metadata(outcome, mlflow))

    return als_tuning


def _metadata(outcome: "SearchOutcome", mlflow: MlflowTracking) -> dict[str, object]:
    from recsys.models.tracking import run_url
    from recsys.plots import png_markdown, trials_png

    metadata: dict[str, object] = {
        "tuned": outcome.tuned,
        "reason": outcome.reason,
        "best_configuration": dg.MetadataValue.json(outcome.best),
        f"best_{SCORE}": rounded(outcome.best_score),
        f"default_{SCORE}": rounded(outcome.default_score),
        "trials_run": len(outcome.trials),
        "validation_users": outcome.n_validation_users,
        "seconds": rounded(outcome.seconds),
        "reused_run": outcome.reused_run or "",
    }
    if outcome.run_id:
        plot = trials_png(outcome.trials, outcome.default_score, SCORE)
        metadata["trials"] = dg.MetadataValue.md(png_markdown(plot, "validation score by trial"))
        metadata["mlflow_run"] = dg.MetadataValue.url(
            run_url(mlflow.config, outcome.run_id, mlflow.ui_url)
        )
    return metadata
