"""The learned ranker: LightGBM lambdarank over candidate features, graded by engagement.

LightGBM runs on OpenMP threads, as implicit does (Debian's libgomp) and scikit-learn (its own
copy): every fit and prediction caps OpenMP at `threads` so they never oversubscribe the cores
together. LightGBM is imported inside the functions that use it, as every heavy library here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

MODEL_FILE = "ranker.txt"
SIDECAR_FILE = "ranker.json"
# The cutoff early stopping watches (nDCG at the gate's k).
EVAL_AT = 10
# Below this many graded readers there is no validation split: all of them train, no early stop.
MIN_VALIDATION_READERS = 20


@dataclass(frozen=True)
class RankerParams:
    """LightGBM lambdarank settings and how much to train on.

    At most max_training_readers readers train (a seeded sample): on the demo the fit then takes
    seconds, and more readers moved the holdout nDCG by less than its interval. validation_share
    of them (by reader) decide early stopping on nDCG@10: the fit stops after
    early_stopping_rounds rounds without gain, at most n_estimators.

    `threads` caps LightGBM's OpenMP threads. One: OpenMP threads spin while they wait for a
    core, so on a shared 2-core box two threads fit 10k rows x 2 features in 7-16 s against
    0.11 s for one (docs/benchmarks.md, Ranking).
    """

    n_estimators: int = 100
    learning_rate: float = 0.1
    num_leaves: int = 31
    min_child_samples: int = 50
    colsample_bytree: float = 0.9
    reg_lambda: float = 1.0
    max_bin: int = 63
    early_stopping_rounds: int = 20
    validation_share: float = 0.1
    max_training_readers: int = 8_000
    seed: int = 7
    threads: int = 1


@dataclass(frozen=True)
class Ranker:
    """A fitted booster, the feature columns it reads in order, and its settings."""

    # A lightgbm.Booster, typed loosely: importing this module must not import lightgbm.
    booster: Any
    features: list[str]
    params: RankerParams
    best_iteration: int

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """A score per row (higher ranks first); missing features are NaN, as in training."""
        values = frame[self.features].to_numpy(np.float32)
        with threadpool_limits(limits=self.params.threads, user_api="openmp"):
            scores = self.booster.predict(
                values, num_iteration=self.best_iteration, num_threads=self.params.threads
            )
        return np.asarray(scores, dtype=np.float32)

    def importances(self) -> pd.Series:
        """Each feature's share of the total split gain, largest first."""
        gains = self.booster.feature_importance(
            importance_type="gain", iteration=self.best_iteration
        )
        shares = pd.Series(gains, index=self.features, dtype=np.float64)
        total = shares.sum()
        return (shares / total if total > 0 else shares).sort_values(ascending=False)

    def save(self, folder: Path) -> Path:
        """The booster as LightGBM's text model and a JSON sidecar; returns the folder."""
        import lightgbm

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE), num_iteration=self.best_iteration)
        sidecar = {
            "features": self.features,
            "params": asdict(self.params),
            "best_iteration": self.best_iteration,
            "lightgbm_version": lightgbm.__version__,
        }
        (folder / SIDECAR_FILE).write_text(json.dumps(sidecar, indent=2))
        return folder

    @classmethod
    def load(cls, folder: Path) -> Ranker:
        import lightgbm

        sidecar = json.loads((Path(folder) / SIDECAR_FILE).read_text())
        booster = lightgbm.Booster(model_file=str(Path(folder) / MODEL_FILE))
        # The saved model holds exactly best_iteration trees.
        return cls(booster, list(sidecar["features"]), RankerParams(**sidecar["params"]), 0)


class NoTrainingSignal(ValueError):
    """No reader engaged with any of their candidates: a ranker has nothing to learn from."""


def training_readers(examples: pd.DataFrame, params: RankerParams) -> np.ndarray:
    """The readers a ranker trains on: those with at least one graded candidate (the others give
    lambdarank no gradient), at most max_training_readers of them, a seeded draw."""
    graded = np.unique(examples.loc[examples["grade"] > 0, "user_id"].to_numpy(np.int64))
    if len(graded) > params.max_training_readers:
        rng = np.random.default_rng(params.seed)
        graded = np.sort(rng.choice(graded, size=params.max_training_readers, replace=False))
    return graded


def fit_ranker(examples: pd.DataFrame, features: list[str], params: RankerParams) -> Ranker:
    """Fit lambdarank on `examples` (user_id, the features, an integer `grade` < 31), one query
    per reader; a validation share of the readers stops it early."""
    import lightgbm

    readers = training_readers(examples, params)
    if len(readers) == 0:
        raise NoTrainingSignal("no reader engaged with any of their candidates in the window")
    rng = np.random.default_rng(params.seed)
    n_validation = int(len(readers) * params.validation_share)
    if len(readers) - n_validation < MIN_VALIDATION_READERS or n_validation < 1:
        n_validation = 0
    validation = set(rng.choice(readers, size=n_validation, replace=False).tolist())
    chosen = examples[examples["user_id"].isin(readers)].sort_values(
        ["user_id", "creator_id"], kind="stable"
    )
    held = chosen["user_id"].isin(validation).to_numpy()
    model = lightgbm.LGBMRanker(
        objective="lambdarank",
        n_estimators=params.n_estimators,
        learning_rate=params.learning_rate,
        num_leaves=params.num_leaves,
        min_child_samples=params.min_child_samples,
        colsample_bytree=params.colsample_bytree,
        reg_lambda=params.reg_lambda,
        random_state=params.seed,
        n_jobs=params.threads,
        deterministic=True,
        force_row_wise=True,
        max_bin=params.max_bin,
        verbose=-1,
    )
    train, valid = chosen[~held], chosen[held]
    fit_args: dict[str, Any] = {}
    if len(valid):
        fit_args = {
            "eval_X": (valid[features].to_numpy(np.float32),),
            "eval_y": (valid["grade"].to_numpy(np.int32),),
            "eval_group": [_group_sizes(valid)],
            "eval_at": [EVAL_AT],
            "callbacks": [lightgbm.early_stopping(params.early_stopping_rounds, verbose=False)],
        }
    with threadpool_limits(limits=params.threads, user_api="openmp"):
        model.fit(
            train[features].to_numpy(np.float32),
            train["grade"].to_numpy(np.int32),
            group=_group_sizes(train),
            feature_name=features,
            **fit_args,
        )
    best = int(model.best_iteration_ or 0) if len(valid) else 0
    return Ranker(model.booster_, list(features), params, best)


def _group_sizes(frame: pd.DataFrame) -> np.ndarray:
    """Rows per reader, in the (sorted) order the readers appear."""
    return frame.groupby("user_id", sort=True).size().to_numpy()
