"""Ranking: a learned ranker over the retrievers' candidates and point-in-time features, judged
against ALS alone; when its gate passes it orders user_creators (assets/recommendations.py)."""

from dataclasses import replace

import dagster as dg
import numpy as np
import pandas as pd

from assets.content import content_model
from assets.models import (
    ALS_MODEL,
    CONTENT_MODEL,
    MODEL_KINDS,
    figures_with_intervals,
    judged_sample,
    twin_factors,
)
from assets.models import als_model as als_model_asset
from assets.support.champions import champion_embeddings, champion_folder
from assets.support.constants import OWNER
from assets.support.guards import standing_check_failures
from assets.support.metadata import rounded
from recsys.models.evaluation import K
from recsys.models.gate_rule import ALS_GATE
from recsys.ranking.gate import FLOOR_PREFIX, RANKER_GATE
from recsys.ranking.serving import ServingVerdict
from recsys.ranking.training import RankingParams
from resources import MlflowTracking, ModelStore, Warehouse

RANKER_MODEL = "creator-discovery-ranker"
FEATURES_GROUP = "features"
FEATURE_SNAPSHOTS = [
    [FEATURES_GROUP, name]
    for name in ("user_snapshots", "creator_snapshots", "user_creator_snapshots")
]
METRIC = RANKER_GATE.metric
_DEFAULTS = RankingParams()


class RankerConfig(dg.Config):
    """Candidates per retriever, how many readers train, and LightGBM's main knobs (defaults:
    recsys.ranking.candidates.CandidateParams and recsys.ranking.ranker.RankerParams)."""

    als_candidates: int = _DEFAULTS.candidates.als
    content_candidates: int = _DEFAULTS.candidates.content
    popular_and_fresh_candidates: int = _DEFAULTS.candidates.popular_and_fresh
    max_training_readers: int = _DEFAULTS.ranker.max_training_readers
    n_estimators: int = _DEFAULTS.ranker.n_estimators
    learning_rate: float = _DEFAULTS.ranker.learning_rate
    num_leaves: int = _DEFAULTS.ranker.num_leaves
    seed: int = _DEFAULTS.ranker.seed

    def params(self) -> RankingParams:
        candidates = replace(
            _DEFAULTS.candidates,
            als=self.als_candidates,
            content=self.content_candidates,
            popular_and_fresh=self.popular_and_fresh_candidates,
        )
        ranker = replace(
            _DEFAULTS.ranker,
            max_training_readers=self.max_training_readers,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            seed=self.seed,
        )
        return replace(_DEFAULTS, candidates=candidates, ranker=ranker)


def feature_check_keys() -> list[dg.AssetCheckKey]:
    """The checks on the feature snapshots: their dbt tests, as the dbt assets define them (a job
    that does not build the features, such as retrain, does not hold them)."""
    from assets.dbt import build_dbt_assets, dbt_project

    keys = build_dbt_assets(dbt_project()).check_keys
    return sorted(
        (key for key in keys if key.asset_key.path[0] == FEATURES_GROUP),
        key=lambda key: key.to_user_string(),
    )


def champion_twin(mlflow: MlflowTracking, model_store: ModelStore):
    """The ALS champion's version, its holdout twin's run and the twin itself (configuration,
    half-life, factors): the ranker refines what serves."""
    from recsys.models.tracking import HOLDOUT_RUN_TAG, champion
    from recsys.ranking.training import HoldoutTwin

    record = champion(mlflow.config, ALS_MODEL)
    handoff = model_store.artifacts.read_holdout_handoff()
    twin_run = record.tags.get(HOLDOUT_RUN_TAG) if record is not None else None
    if record is None or twin_run != handoff.run_id:
        raise dg.Failure(
            description=(
                f"The ALS champion's holdout twin (run {twin_run}) is not the latest one "
                f"(run {handoff.run_id}), whose configuration the ranker would read: "
                "materialize the models group (job retrain) first."
            ),
            allow_retries=False,
        )
    factors = twin_factors(mlflow.config, twin_run)
    if factors is None:
        raise dg.Failure(description=f"ALS holdout run {twin_run} holds no factors")
    return record.version, twin_run, HoldoutTwin(handoff.params, handoff.half_life_days, factors)


@dg.asset(
    key=["models", "ranker"],
    group_name="models",
    kinds={*MODEL_KINDS, "lightgbm"},
    owners=[OWNER],
    deps=[
        als_model_asset,
        content_model,
        *FEATURE_SNAPSHOTS,
        ["marts", "interactions_train"],
        ["marts", "interactions_holdout"],
        ["marts", "user_split_cutoffs"],
    ],
    description=(
        "A LightGBM lambdarank ranker over candidates from ALS, the content model and "
        "popular-and-fresh, with features read as of each reader's label time. Trained on the "
        "window before the holdout, judged on the holdout beside ALS alone, popularity and the "
        "oracle; registered in MLflow. Its gate decides whether it orders user_creators."
    ),
)
def ranker(
    context: dg.AssetExecutionContext,
    config: RankerConfig,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
) -> dg.MaterializeResult:
    from recsys.models.store import RankerHandoff
    from recsys.models.tracking import run_metrics, run_url, version_url
    from recsys.plots import importances_png, png_markdown
    from recsys.ranking.ranker import NoTrainingSignal
    from recsys.ranking.registry import train_and_register
    from recsys.ranking.serving import ALS_VERSION_TAG, CONTENT_VERSION_TAG
    from recsys.ranking.training import build_ranking_data

    # The cross-run guard: no training on feature snapshots whose checks failed in an earlier
    # run. The ranker is optional, so it trains nothing rather than failing the run: the tables
    # keep ALS order until the features are rebuilt and pass.
    failed = standing_check_failures(context.instance, feature_check_keys())
    if failed:
        reason = "feature snapshot checks stand failed: " + "; ".join(
            failure.describe() for failure in failed
        )
        model_store.artifacts.write_ranker_handoff(RankerHandoff(None, reason))
        return dg.MaterializeResult(metadata={"trained": False, "reason": reason})
    als_version, twin_run, twin = champion_twin(mlflow, model_store)
    posts, content_version = champion_embeddings(mlflow, "post")
    creators, _ = champion_embeddings(mlflow, "creator")
    params = config.params()
    with warehouse.connect(read_only=True) as conn:
        data = build_ranking_data(
            conn, twin, posts, creators, ALS_GATE.user_sample(), params, context.log.info
        )
    twin_figures = run_metrics(mlflow.config, twin_run)
    baselines = {
        name: value
        for name, value in twin_figures.items()
        if name.startswith(("popularity_", "oracle_"))
    }
    lineage = {ALS_VERSION_TAG: str(als_version), CONTENT_VERSION_TAG: str(content_version)}
    try:
        registered = train_and_register(
            mlflow.config,
            model_store.artifacts,
            RANKER_MODEL,
            data,
            params,
            baselines,
            lineage,
            K,
            ALS_GATE.bootstrap(),
            context.log.info,
        )
    except NoTrainingSignal as error:
        model_store.artifacts.write_ranker_handoff(RankerHandoff(None, str(error)))
        return dg.MaterializeResult(metadata={"trained": False, "reason": str(error)})
    model_store.artifacts.write_ranker_handoff(RankerHandoff(registered.version))
    metrics = registered.metrics
    plot = importances_png(registered.importances)
    return dg.MaterializeResult(
        metadata={
            "model_version": registered.version,
            "reused_version": registered.reused,
            **figures_with_intervals(metrics, METRIC, ("", FLOOR_PREFIX, "popularity_", "oracle_")),
            **judged_sample(metrics, METRIC),
            "candidate_recall": rounded(metrics["candidate_recall"]),
            **{
                f"candidate_recall_{source}": rounded(metrics[f"candidate_recall_{source}"])
                for source in ("als", "content", "popular_and_fresh")
            },
            "candidates_per_reader": rounded(metrics["candidates_per_reader"], 1),
            "training_readers": int(metrics["training_readers"]),
            "trees": int(metrics["trees"]),
            "als_version": als_version,
            "content_version": content_version,
            "feature_importance": dg.MetadataValue.md(png_markdown(plot, "feature importance")),
            "mlflow_run": dg.MetadataValue.url(
                run_url(mlflow.config, registered.twin_run_id, mlflow.ui_url)
            ),
            "mlflow_version": dg.MetadataValue.url(
                version_url(RANKER_MODEL, registered.version, mlflow.ui_url)
            ),
        }
    )


@dg.asset_check(
    asset=ranker,
    blocking=False,
    description=(
        f"The ranker's gate: its holdout {METRIC} must be at least "
        f"{RANKER_GATE.min_lift_over_floor:.2f}x ALS alone's on the same readers, and no more "
        f"than {RANKER_GATE.max_regression_vs_champion:.0%} below the ranker champion's. On pass "
        "the champion alias moves and the ranker orders user_creators; otherwise a warning, and "
        "the table keeps ALS order (nothing downstream is stopped)."
    ),
)
def ranker_quality_gate(mlflow: MlflowTracking, model_store: ModelStore) -> dg.AssetCheckResult:
    from recsys.models.promotion import gate_version

    handoff = model_store.artifacts.read_ranker_handoff()
    if handoff.version is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"reason": f"no ranker to judge ({handoff.reason}): ALS order"},
        )
    outcome = gate_version(
        mlflow.config, RANKER_MODEL, handoff.version, RANKER_GATE, floor_prefix=FLOOR_PREFIX
    )
    verdict = "serves" if outcome.decision.passed else "does not serve: ALS order"
    metadata = {
        name: rounded(value) if isinstance(value, float) else value
        for name, value in outcome.metadata().items()
    }
    first_reason = outcome.decision.reasons[0] if outcome.decision.reasons else ""
    return dg.AssetCheckResult(
        passed=outcome.decision.passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={**metadata, "reason": f"the ranker {verdict} ({first_reason})"},
    )


def serving_verdict(
    context: dg.AssetExecutionContext,
    mlflow: MlflowTracking,
    model_store: ModelStore,
    als_version: int,
) -> ServingVerdict:
    """Whether the ranker champion orders user_creators now (recsys.ranking.serving)."""
    from recsys.models.store import MissingArtifact
    from recsys.models.tracking import champion
    from recsys.ranking.serving import serving_verdict as verdict

    record = champion(mlflow.config, RANKER_MODEL)
    try:
        latest = model_store.artifacts.read_ranker_handoff().version
    except MissingArtifact:
        latest = None
    failed = standing_check_failures(context.instance, feature_check_keys())
    return verdict(
        record.version if record is not None else None,
        latest,
        record.tags if record is not None else {},
        als_version,
        champion_folder(mlflow, CONTENT_MODEL)[1],
        [failure.verdict.check for failure in failed],
    )


def ordered_user_creators(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    mlflow: MlflowTracking,
    model_store: ModelStore,
    table: pd.DataFrame,
    factors,
    als_version: int,
    subscribed: pd.DataFrame,
    n: int,
) -> tuple[pd.DataFrame, ServingVerdict]:
    """`table` (user_creators in ALS order) with the readers ALS knows ranked by the ranker
    champion instead, when its verdict says so; the readers without history keep their rows."""
    from recsys.ranking.ranker import Ranker
    from recsys.ranking.serving import ranked_user_creators
    from recsys.serving.user_tables import SOURCE_MODEL

    verdict = serving_verdict(context, mlflow, model_store, als_version)
    context.log.info(f"user_creators: {verdict.reason}")
    if not verdict.serves:
        return table, verdict
    folder, _ = champion_folder(mlflow, RANKER_MODEL)
    posts, _ = champion_embeddings(mlflow, "post")
    creators, _ = champion_embeddings(mlflow, "creator")
    known = np.unique(table.loc[table["source"] == SOURCE_MODEL, "user_id"].to_numpy())
    with warehouse.connect(read_only=True) as conn:
        ranked = ranked_user_creators(
            conn,
            Ranker.load(folder),
            factors,
            posts,
            creators,
            known,
            subscribed,
            n,
            progress=context.log.info,
        )
    kept = table[~table["user_id"].isin(known)]
    return pd.concat([ranked, kept[ranked.columns]], ignore_index=True), verdict
