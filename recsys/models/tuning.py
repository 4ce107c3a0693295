"""ALS hyperparameter search: a validation split carved from train, interaction strength recomputed
per trial from an event aggregate, and a bounded, seeded Optuna TPE search whose trial 0 is the
current defaults (so the best configuration never scores below them on validation).

Interaction strength (dbt macro interaction_strength.sql) is sum over events of
event_weight * 0.5 ^ (age_days / half_life_days). Its half-life is in days whatever the platform's
span: on a multi-year history almost every pair decays to ~0 and the event weights say nothing. So
the half-life is searched too, over a range set by the training window's own span (SPAN_RANGE), on
a (user, creator, event type, day) aggregate of the train events that recomputes every pair's
strength in milliseconds. Events of one day take the day's mean event time as their age: for
half-lives of a day or more this moves a pair's strength by a few percent at most.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from recsys.models.als import AlsParams, fit_als, recommend
from recsys.models.evaluation import K, holdout_relevance, ndcg_at_k
from recsys.models.interactions import build_matrix
from recsys.settings import (
    DEFAULT_TUNING_MAX_USERS,
    DEFAULT_TUNING_SECONDS,
    DEFAULT_TUNING_TRIALS,
    PROJECT_ROOT,
)

if TYPE_CHECKING:
    import duckdb

    from recsys.models.store import ArtifactStore
    from recsys.models.tracking import TrackingConfig

SECONDS_PER_DAY = 86_400.0
# Bump when the search or the strength it recomputes changes what a search returns, so a search
# on unchanged inputs is run again rather than reused (recsys/models/fingerprint.py).
TUNING_CODE_VERSION = "tuning-1"
# Where dbt's event weights and default half-life are set (vars in dbt_project.yml).
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_VALIDATION_DAYS = 7
# The half-life is searched between span / 32 and 2 x span of the training window (in days): from
# "only the last weeks count" to "barely decays". The default (trial 0) stays dbt's value, and
# trial 1 tries span / 3 (the demo's 38-day window: 12.7 days, near dbt's 14).
SPAN_RANGE = (1 / 32, 2.0)
SPAN_DEFAULT = 1 / 3
MIN_HALF_LIFE_DAYS = 0.5
# Bounds of the ALS search (log scale but iterations).
FACTORS = (8, 96)
REGULARIZATION = (0.01, 50.0)
ALPHA = (0.1, 20.0)
ITERATIONS = (5, 25)
# TPE's first trials are random draws; after them it models what worked.
STARTUP_TRIALS = 5
# A trial replaces the defaults only if it beats their validation nDCG by this share: smaller gains
# are within the noise of one validation week (on the demo, trials a few 1e-4 apart).
MIN_RELATIVE_GAIN = 0.01

# Train events (a temporal split of every pair: the pair's events up to its last train event),
# one row per (user, creator, event type, day), each with the as-of time the split decays it at.
TRAIN_AGGREGATE_SQL = """
WITH train AS (
    SELECT user_id, creator_id, last_event_at,
           coalesce(cutoff_at, (SELECT max(event_at) FROM staging.stg_events)) AS as_of_at
    FROM marts.interactions_train
    WHERE user_id IN (
        -- A seeded sample of the train users (all of them up to the cap): the search's cost and
        -- memory stay bounded at any scale; hash() orders the users the same way on every run.
        SELECT user_id FROM (SELECT DISTINCT user_id FROM marts.interactions_train)
        ORDER BY hash(user_id, $seed), user_id LIMIT $max_users
    )
)
SELECT e.user_id, e.creator_id, e.event_type,
       date_trunc('day', e.event_at) AS event_day,
       count(*) AS n_events,
       avg(epoch(e.event_at)) AS mean_epoch,
       epoch(any_value(t.as_of_at)) AS as_of_epoch
FROM staging.stg_events AS e
JOIN train AS t
  ON e.user_id = t.user_id AND e.creator_id = t.creator_id AND e.event_at <= t.last_event_at
GROUP BY ALL
"""
# Every event, decayed as of the latest one (as int_user_creator_interactions).
ALL_AGGREGATE_SQL = """
SELECT user_id, creator_id, event_type,
       date_trunc('day', event_at) AS event_day,
       count(*) AS n_events,
       avg(epoch(event_at)) AS mean_epoch,
       (SELECT epoch(max(event_at)) FROM staging.stg_events) AS as_of_epoch
FROM staging.stg_events
GROUP BY ALL
"""
# pair_strength over either aggregate, in the warehouse: the serving and holdout fits restrengthen
# every pair (43M events at the large scale), which as a pandas aggregate took over 10 GB.
WAREHOUSE_STRENGTH_SQL = """
WITH aggregate AS ({aggregate}),
weights(event_type, weight) AS (SELECT unnest($event_types), unnest($event_weights))
SELECT a.user_id, a.creator_id,
       sum(a.n_events * coalesce(w.weight, 0.0)
           * pow(0.5, (a.as_of_epoch - a.mean_epoch) / {seconds_per_day} / $half_life_days))
           AS strength
FROM aggregate AS a LEFT JOIN weights AS w USING (event_type)
GROUP BY ALL
"""
AGGREGATE_ORDER = ["user_id", "creator_id", "event_type", "event_day"]


@dataclass(frozen=True)
class Weighting:
    """How events add up to a pair's strength: a weight per event type and a decay half-life."""

    half_life_days: float
    event_weights: Mapping[str, float]

    @classmethod
    def from_dbt_project(cls, project_dir: Path) -> Weighting:
        """dbt_project.yml's vars decay_half_life_days and event_weights (the dbt defaults)."""
        import yaml

        variables = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())["vars"]
        weights = {str(k): float(v) for k, v in variables["event_weights"].items()}
        return cls(float(variables["decay_half_life_days"]), weights)


@dataclass(frozen=True)
class TunedConfig:
    """What a trial fits: ALS hyperparameters and the half-life of the interaction strength."""

    params: AlsParams
    half_life_days: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self.params) | {"half_life_days": self.half_life_days}


@dataclass(frozen=True)
class SearchBudget:
    """How much searching: trials (0 turns tuning off), seconds, the sampler's seed, the days
    of train held out as validation and the most train users read (a seeded sample above it)."""

    trials: int = DEFAULT_TUNING_TRIALS
    timeout_seconds: float = DEFAULT_TUNING_SECONDS
    seed: int = 7
    validation_days: int = DEFAULT_VALIDATION_DAYS
    max_users: int = DEFAULT_TUNING_MAX_USERS


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial: its number, configuration, validation nDCG@k and seconds."""

    number: int
    config: TunedConfig
    score: float
    seconds: float


@dataclass(frozen=True)
class TuningResult:
    """The search's outcome. `best` is the defaults when nothing beat them (or nothing ran)."""

    best: TunedConfig
    best_score: float
    default_score: float
    trials: list[TrialRecord] = field(default_factory=list)
    seconds: float = 0.0
    n_validation_users: int = 0
    reason: str = ""

    @property
    def tuned(self) -> bool:
        """Whether a search ran (a trials=0 budget or an empty validation split: no)."""
        return bool(self.trials)

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial: number, score, seconds and each configuration value."""
        rows = [
            {"number": t.number, "score": t.score, "seconds": t.seconds} | t.config.as_dict()
            for t in self.trials
        ]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class ValidationSplit:
    """Train's last days held out: the aggregate before them (decayed as of their start) and the
    creators each known user met for the first time within them."""

    train: pd.DataFrame
    relevant: pd.DataFrame
    cutoff: pd.Timestamp
    span_days: float


def read_event_aggregate(
    conn: duckdb.DuckDBPyConnection, max_users: int | None = None, seed: int = 7
) -> pd.DataFrame:
    """The (user, creator, event type, day) aggregate of the train events of at most `max_users`
    users (a sample seeded by `seed`; every user when None or when there are fewer)."""
    # DuckDB reads LIMIT NULL as no limit.
    frame = conn.execute(TRAIN_AGGREGATE_SQL, {"seed": seed, "max_users": max_users}).df()
    # A stable row order, so the strength sums (and fits on them) repeat bit for bit.
    return frame.sort_values(AGGREGATE_ORDER, kind="stable").reset_index(drop=True)


def warehouse_pair_strength(
    conn: duckdb.DuckDBPyConnection, train_only: bool, weighting: Weighting
) -> pd.DataFrame:
    """user_id, creator_id, strength of every train pair (or every pair), as pair_strength
    computes it over the event aggregate, summed in the warehouse."""
    if train_only:
        return strength_in_warehouse(
            conn, TRAIN_AGGREGATE_SQL, weighting, {"seed": 0, "max_users": None}
        )
    return strength_in_warehouse(conn, ALL_AGGREGATE_SQL, weighting)


def strength_in_warehouse(
    conn: duckdb.DuckDBPyConnection,
    aggregate_sql: str,
    weighting: Weighting,
    values: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """user_id, creator_id, strength: pair_strength of the aggregate `aggregate_sql` selects
    (user_id, creator_id, event_type, n_events, mean_epoch, as_of_epoch; its own parameters in
    `values`), summed in the warehouse, which never holds the aggregate in memory."""
    sql = WAREHOUSE_STRENGTH_SQL.format(aggregate=aggregate_sql, seconds_per_day=SECONDS_PER_DAY)
    types = list(weighting.event_weights)
    weights = {
        "event_types": types,
        "event_weights": [float(weighting.event_weights[t]) for t in types],
        "half_life_days": float(weighting.half_life_days),
    }
    return conn.execute(sql, {**weights, **(values or {})}).df()


def pair_strength(aggregate: pd.DataFrame, weighting: Weighting) -> pd.DataFrame:
    """user_id, creator_id, strength: the aggregate's events weighted and decayed as of each
    row's as_of_epoch, as the dbt macro does per event."""
    weights = aggregate["event_type"].map(dict(weighting.event_weights)).fillna(0.0)
    age_days = (aggregate["as_of_epoch"] - aggregate["mean_epoch"]) / SECONDS_PER_DAY
    decay = np.power(0.5, age_days.to_numpy(np.float64) / weighting.half_life_days)
    contribution = aggregate["n_events"].to_numpy(np.float64) * weights.to_numpy() * decay
    summed = (
        aggregate[["user_id", "creator_id"]]
        .assign(strength=contribution)
        .groupby(["user_id", "creator_id"], sort=True)["strength"]
        .sum()
    )
    return summed.reset_index()


def validation_split(aggregate: pd.DataFrame, validation_days: int) -> ValidationSplit:
    """The last `validation_days` whole days of the train aggregate, the latest day included (the
    holdout's rule, applied inside train), held out of the tuning fits.

    Only train events are read, so no holdout interaction is ever scored. Relevant: pairs whose
    first train event lies in those days, for users with a tuning-train pair.
    """
    days = pd.to_datetime(aggregate["event_day"])
    cutoff = days.max() - pd.Timedelta(days=validation_days - 1)
    before = (days < cutoff).to_numpy()
    train = aggregate.loc[before].assign(as_of_epoch=cutoff.timestamp())
    later = aggregate.loc[~before, ["user_id", "creator_id"]].drop_duplicates()
    known = train[["user_id", "creator_id"]].drop_duplicates().assign(seen_in_train=True)
    later = later.merge(known, on=["user_id", "creator_id"], how="left")
    later["seen_in_train"] = later["seen_in_train"].notna()
    relevant = holdout_relevance(later, train["user_id"].unique())
    span = (cutoff - days.min()).total_seconds() / SECONDS_PER_DAY if before.any() else 0.0
    return ValidationSplit(train.reset_index(drop=True), relevant, cutoff, span)


def validation_score(
    split: ValidationSplit, config: TunedConfig, weighting: Weighting, k: int = K
) -> float:
    """nDCG@k on the validation split of ALS fit on the rest of train with `config`, ranking the
    full catalog minus each user's tuning-train creators (recsys/models/evaluation.py)."""
    strength = pair_strength(split.train, replace(weighting, half_life_days=config.half_life_days))
    matrix = build_matrix(strength, config.params.alpha)
    factors = fit_als(matrix, config.params)
    users = split.relevant["user_id"].unique()
    recommendations = recommend(factors, matrix, users, k, exclude=matrix.confidence)
    return ndcg_at_k(recommendations, split.relevant, k)


def half_life_range(span_days: float) -> tuple[float, float]:
    low = max(MIN_HALF_LIFE_DAYS, span_days * SPAN_RANGE[0])
    return low, max(low * 2, span_days * SPAN_RANGE[1])


def tune_als(
    aggregate: pd.DataFrame,
    defaults: AlsParams,
    weighting: Weighting,
    budget: SearchBudget,
    k: int = K,
    on_trial: Callable[[TrialRecord], None] | None = None,
) -> TuningResult:
    """Search ALS factors, regularization, alpha, iterations and the half-life on a validation
    split of the train aggregate; trial 0 is `defaults` with dbt's half-life.

    At most budget.trials trials; no new trial starts after budget.timeout_seconds. The best is
    the highest validation nDCG@k (the earliest on ties) if it beats the defaults' by
    MIN_RELATIVE_GAIN, else the defaults: the result never scores below them on validation.
    """
    default = TunedConfig(defaults, weighting.half_life_days)
    started = time.perf_counter()
    if budget.trials <= 0:
        return TuningResult(default, math.nan, math.nan, reason="tuning is off (trials = 0)")
    split = validation_split(aggregate, budget.validation_days)
    n_users = int(split.relevant["user_id"].nunique())
    if n_users == 0:
        reason = "no user met a new creator in the validation days: nothing to judge trials on"
        return TuningResult(default, math.nan, math.nan, reason=reason)

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    low, high = half_life_range(split.span_days)
    records: list[TrialRecord] = []

    def objective(trial: optuna.Trial) -> float:
        config = TunedConfig(
            AlsParams(
                factors=trial.suggest_int("factors", *FACTORS, log=True),
                regularization=trial.suggest_float("regularization", *REGULARIZATION, log=True),
                iterations=trial.suggest_int("iterations", *ITERATIONS),
                alpha=trial.suggest_float("alpha", *ALPHA, log=True),
                seed=defaults.seed,
            ),
            trial.suggest_float("half_life_days", low, high, log=True),
        )
        trial_started = time.perf_counter()
        score = validation_score(split, config, weighting, k)
        record = TrialRecord(trial.number, config, score, time.perf_counter() - trial_started)
        records.append(record)
        if on_trial is not None:
            on_trial(record)
        return score

    sampler = optuna.samplers.TPESampler(seed=budget.seed, n_startup_trials=STARTUP_TRIALS)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    # Out-of-range defaults are still tried as given: enqueued values skip the bounds.
    study.enqueue_trial(_trial_params(default), skip_if_exists=False)
    span_default = replace(default, half_life_days=max(low, split.span_days * SPAN_DEFAULT))
    if budget.trials > 1 and not math.isclose(span_default.half_life_days, default.half_life_days):
        study.enqueue_trial(_trial_params(span_default))
    study.optimize(objective, n_trials=budget.trials, timeout=budget.timeout_seconds)
    best = max(records, key=lambda r: (r.score, -r.number))
    if best.score < records[0].score * (1 + MIN_RELATIVE_GAIN):
        best = records[0]
    return TuningResult(
        best=best.config,
        best_score=best.score,
        default_score=records[0].score,
        trials=records,
        seconds=time.perf_counter() - started,
        n_validation_users=n_users,
    )


def _trial_params(config: TunedConfig) -> dict[str, Any]:
    values = config.as_dict()
    return {name: values[name] for name in (*_SEARCHED, "half_life_days")}


_SEARCHED = ("factors", "regularization", "iterations", "alpha")


def restrengthened(
    frame: pd.DataFrame,
    conn: duckdb.DuckDBPyConnection,
    train_only: bool,
    half_life_days: float,
    project_dir: Path = DBT_PROJECT_DIR,
) -> pd.DataFrame:
    """`frame` (user_id, creator_id, strength, ...) with each pair's strength recomputed from the
    train events (or every event) at `half_life_days` (dbt's event weights), decayed as of the
    same time dbt decays it."""
    weighting = replace(Weighting.from_dbt_project(project_dir), half_life_days=half_life_days)
    strength = warehouse_pair_strength(conn, train_only, weighting)
    merged = frame.drop(columns="strength").merge(
        strength, on=["user_id", "creator_id"], how="left", validate="one_to_one"
    )
    merged["strength"] = merged["strength"].fillna(0.0)
    return merged[frame.columns]


@dataclass(frozen=True)
class SearchOutcome:
    """What models/als_tuning shows: the search's result as tracked (or reused) in MLflow."""

    tuned: bool
    reason: str
    best: dict[str, float]
    best_score: float
    default_score: float
    trials: pd.DataFrame
    n_validation_users: int
    seconds: float
    run_id: str
    reused_run: str | None


def run_search(
    conn: duckdb.DuckDBPyConnection,
    budget: SearchBudget,
    tracking: TrackingConfig,
    store: ArtifactStore,
    log_trial: Callable[[int, float, float], None] | None = None,
    defaults: AlsParams | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> SearchOutcome:
    """Search on the warehouse's train events, one parent MLflow run with a nested run per trial,
    and hand the chosen configuration to the holdout twin (store.write_tuning_handoff).

    A search on the same train events, budget, defaults and code is not run again: its parent
    run's choice is reused (a timed search could stop at another trial and change the model).
    """
    from recsys.models.fingerprint import ALS_CODE_VERSION, FINGERPRINT_TAG, fingerprint
    from recsys.models.store import TuningHandoff
    from recsys.models.tracking import (
        find_run,
        finish_parent_run,
        log_nested_run,
        nested_runs,
        run_metrics,
        run_params,
        start_parent_run,
    )

    defaults = defaults or AlsParams()
    weighting = Weighting.from_dbt_project(project_dir)
    if budget.trials <= 0:
        store.write_tuning_handoff(TuningHandoff("", defaults, None, tuned=False))
        reason = "tuning is off (trials = 0): the holdout twin fits the defaults"
        return SearchOutcome(
            False, reason, _flat(TunedConfig(defaults, weighting.half_life_days)), math.nan,
            math.nan, pd.DataFrame(), 0, 0.0, "", None,
        )  # fmt: skip
    aggregate = read_event_aggregate(conn, budget.max_users, budget.seed)
    setup = asdict(budget) | {"defaults": asdict(defaults), "weighting": asdict(weighting)}
    code = f"{ALS_CODE_VERSION}+{TUNING_CODE_VERSION}"
    tags = {"role": "tuning", FINGERPRINT_TAG: fingerprint(aggregate, setup, code)}
    reused = find_run(tracking, tags)
    if reused is None:
        run_id = start_parent_run(tracking, "als-tuning", asdict(budget), tags)

        def on_trial(record: TrialRecord) -> None:
            metrics = {f"validation_ndcg_at_{K}": record.score, "seconds": record.seconds}
            params = record.config.as_dict()
            log_nested_run(tracking, run_id, f"trial-{record.number}", params, metrics)
            if log_trial is not None:
                log_trial(record.number, record.score, record.seconds)

        try:
            result = tune_als(aggregate, defaults, weighting, budget, K, on_trial)
        except BaseException:
            finish_parent_run(tracking, run_id, {}, failed=True)
            raise
        summary = {
            "best_validation_score": result.best_score,
            "default_validation_score": result.default_score,
            "trials_run": float(len(result.trials)),
            "validation_users": float(result.n_validation_users),
            "seconds": result.seconds,
        }
        chosen = {f"best_{name}": value for name, value in _flat(result.best).items()}
        chosen |= {"tuned": result.tuned, "reason": result.reason}
        finish_parent_run(tracking, run_id, summary, chosen)
    else:
        run_id = reused
    params, metrics = run_params(tracking, run_id), run_metrics(tracking, run_id)
    best = _config_from_params(params)
    tuned = params["tuned"] == "True"
    trials = _trials_from_runs(nested_runs(tracking, run_id))
    # dbt's own strength while the half-life is dbt's: the defaults are reproduced exactly.
    half_life = None if best.half_life_days == weighting.half_life_days else best.half_life_days
    store.write_tuning_handoff(TuningHandoff(run_id, best.params, half_life, tuned))
    return SearchOutcome(
        tuned=tuned,
        reason=params["reason"],
        best=_flat(best),
        best_score=metrics["best_validation_score"],
        default_score=metrics["default_validation_score"],
        trials=trials,
        n_validation_users=int(metrics["validation_users"]),
        seconds=metrics["seconds"],
        run_id=run_id,
        reused_run=reused,
    )


def _flat(config: TunedConfig) -> dict[str, float]:
    return config.as_dict()


def _config_from_params(params: Mapping[str, str]) -> TunedConfig:
    value = {n.removeprefix("best_"): text for n, text in params.items() if n.startswith("best_")}
    return TunedConfig(
        AlsParams(
            factors=int(value["factors"]),
            regularization=float(value["regularization"]),
            iterations=int(value["iterations"]),
            alpha=float(value["alpha"]),
            seed=int(value["seed"]),
        ),
        float(value["half_life_days"]),
    )


def _trials_from_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The nested trial runs as number, score, seconds, ordered by number."""
    if runs.empty:
        return pd.DataFrame(columns=["number", "score", "seconds"])
    frame = pd.DataFrame(
        {
            "number": runs["run_name"].str.removeprefix("trial-").astype(int),
            "score": runs[f"metrics.validation_ndcg_at_{K}"].astype(float),
            "seconds": runs["metrics.seconds"].astype(float),
        }
    )
    return frame.sort_values("number").reset_index(drop=True)
