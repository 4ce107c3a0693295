"""Track and register the ranker as the models are: the twin's holdout run, the serving run, a
registered version carrying the twin's figures, and no refit on inputs already seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from recsys.models.evaluation import Bootstrap
from recsys.models.fingerprint import FINGERPRINT_TAG, fingerprint
from recsys.models.store import ArtifactStore
from recsys.models.tracking import (
    HOLDOUT_RUN_TAG,
    TrackingConfig,
    find_version,
    holdout_tags,
    log_training_run,
    register_version,
    version_record,
)
from recsys.ranking.gate import RANKER_CODE_VERSION
from recsys.ranking.training import RankingData, RankingParams, fit_and_judge

# The twin's feature importances are logged as metrics under this prefix.
IMPORTANCE_PREFIX = "importance."


@dataclass(frozen=True)
class RankerVersion:
    """A registered ranker: its version and serving run, its twin's run, the twin's holdout
    figures and feature importances, and whether an earlier version was reused."""

    version: int
    run_id: str
    twin_run_id: str
    metrics: dict[str, float]
    importances: pd.Series
    reused: bool


def train_and_register(
    tracking: TrackingConfig,
    store: ArtifactStore,
    model_name: str,
    data: RankingData,
    params: RankingParams,
    baselines: Mapping[str, float],
    lineage: Mapping[str, str],
    k: int,
    bootstrap: Bootstrap | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> RankerVersion:
    """Fit and judge the ranker (recsys/ranking/training.py), log the twin and the serving fit
    and register the serving fit with the twin's figures and `lineage` (the ALS and content
    versions its features come from) as tags. The same candidates, grades, parameters and
    lineage reuse the version registered for them."""
    inputs = fingerprint(
        {"training": data.training, "holdout": data.holdout, "relevant": data.relevant},
        params.as_dict() | dict(lineage),
        RANKER_CODE_VERSION,
    )
    found = find_version(tracking, model_name, FINGERPRINT_TAG, inputs)
    if found is not None:
        progress(f"Same inputs as version {found} of {model_name}: reusing it, no refit")
        record = version_record(tracking, model_name, found)
        figures = record.holdout_metrics
        return RankerVersion(
            found,
            record.run_id,
            record.tags[HOLDOUT_RUN_TAG],
            figures,
            _importances(figures),
            reused=True,
        )
    report = fit_and_judge(data, params, baselines, k, bootstrap)
    progress(
        f"Ranker twin: {report.twin.best_iteration} trees; serving fit: "
        f"{report.serving.best_iteration} trees"
    )
    importances = {f"{IMPORTANCE_PREFIX}{n}": float(v) for n, v in report.importances.items()}
    twin_metrics = report.metrics | importances | {"trees": float(report.twin.best_iteration)}
    twin_run = log_training_run(
        tracking,
        "ranker-holdout",
        params.as_dict(),
        twin_metrics,
        report.twin.save(store.ranker_model_dir("holdout")),
        {"role": "holdout", **lineage},
    )
    tags = holdout_tags(tracking, twin_run) | dict(lineage) | {FINGERPRINT_TAG: inputs}
    run_id = log_training_run(
        tracking,
        "ranker-serving",
        params.as_dict(),
        {"trees": float(report.serving.best_iteration)},
        report.serving.save(store.ranker_model_dir("serving")),
        tags | {"role": "serving"},
    )
    version = register_version(tracking, model_name, run_id, tags=tags)
    return RankerVersion(version, run_id, twin_run, twin_metrics, report.importances, False)


def _importances(metrics: Mapping[str, float]) -> pd.Series:
    shares = {
        name.removeprefix(IMPORTANCE_PREFIX): value
        for name, value in metrics.items()
        if name.startswith(IMPORTANCE_PREFIX)
    }
    return pd.Series(shares, dtype="float64").sort_values(ascending=False)
