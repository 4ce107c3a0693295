"""Every setting the project takes from the environment, read here and nowhere else.

An entry point (the code location, a command line, a script) calls `Settings.from_env()` once and
passes on what it needs; nothing reads the environment at import time. Everything generated lives
under one data folder (git-ignored), so a checkout stays clean and a test points the whole project
at a temporary directory with one variable. The README's Configuration section lists each variable.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from recsys.models.tracking import TrackingConfig
    from recsys.quality.volume import VolumeRule

N = TypeVar("N", int, float)

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DATA_DIR_VAR = "CREATOR_DISCOVERY_DATA_DIR"
LANDING_DIR_VAR = "CREATOR_DISCOVERY_LANDING_DIR"
WAREHOUSE_VAR = "CREATOR_DISCOVERY_WAREHOUSE"
PRODUCT_DB_URL_VAR = "CREATOR_DISCOVERY_PRODUCT_DB_URL"
EXPORT_PAUSE_AT_VAR = "CREATOR_DISCOVERY_EXPORT_PAUSE_AT"
EXPORT_PAUSE_SECONDS_VAR = "CREATOR_DISCOVERY_EXPORT_PAUSE_SECONDS"
FIRST_EVENT_DAY_VAR = "CREATOR_DISCOVERY_FIRST_EVENT_DAY"
VOLUME_WINDOW_DAYS_VAR = "CREATOR_DISCOVERY_VOLUME_WINDOW_DAYS"
VOLUME_MIN_RATIO_VAR = "CREATOR_DISCOVERY_VOLUME_MIN_RATIO"
VOLUME_MAX_RATIO_VAR = "CREATOR_DISCOVERY_VOLUME_MAX_RATIO"
VOLUME_MIN_ROWS_VAR = "CREATOR_DISCOVERY_VOLUME_MIN_ROWS"
VOLUME_MODE_VAR = "CREATOR_DISCOVERY_VOLUME_MODE"
VOLUME_MISSING_DAYS_VAR = "CREATOR_DISCOVERY_VOLUME_MISSING_DAYS"
BOT_MAX_EVENTS_PER_DAY_VAR = "CREATOR_DISCOVERY_BOT_MAX_EVENTS_PER_DAY"
HOLDOUT_DAYS_VAR = "CREATOR_DISCOVERY_HOLDOUT_DAYS"
SPLIT_PROTOCOL_VAR = "CREATOR_DISCOVERY_SPLIT_PROTOCOL"
NEW_CREATOR_DAYS_VAR = "CREATOR_DISCOVERY_NEW_CREATOR_DAYS"
RECENT_ACTIVITY_DAYS_VAR = "CREATOR_DISCOVERY_RECENT_ACTIVITY_DAYS"
FRESH_POST_DAYS_VAR = "CREATOR_DISCOVERY_FRESH_POST_DAYS"
DRIFT_CURRENT_DAYS_VAR = "CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS"
DRIFT_REFERENCE_DAYS_VAR = "CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS"
TASTE_DIVERGENCE_VAR = "CREATOR_DISCOVERY_TASTE_DIVERGENCE"
TASTE_MAX_SHARE_INCREASE_VAR = "CREATOR_DISCOVERY_TASTE_MAX_SHARE_INCREASE"
SERVED_QUALITY_TRAILING_DAYS_VAR = "CREATOR_DISCOVERY_SERVED_QUALITY_TRAILING_DAYS"
SERVED_QUALITY_BAND_WIDTH_VAR = "CREATOR_DISCOVERY_SERVED_QUALITY_BAND_WIDTH"
TUNING_TRIALS_VAR = "CREATOR_DISCOVERY_TUNING_TRIALS"
TUNING_SECONDS_VAR = "CREATOR_DISCOVERY_TUNING_SECONDS"
# Dagster's own name: `dagster` reads it too, so the Makefile, the CLI and the scripts agree.
DAGSTER_HOME_VAR = "DAGSTER_HOME"
DAGSTER_STORAGE_URL_VAR = "CREATOR_DISCOVERY_DAGSTER_STORAGE_URL"
MLFLOW_TRACKING_URI_VAR = "CREATOR_DISCOVERY_MLFLOW_TRACKING_URI"
SCORING_SHARDS_VAR = "CREATOR_DISCOVERY_SCORING_SHARDS"
EXECUTOR_VAR = "CREATOR_DISCOVERY_EXECUTOR"
# Not prefixed: `make ui` passes the same name as a make variable (UI_PORT=3001 make ui).
UI_PORT_VAR = "UI_PORT"
SERVE_HOST_VAR = "CREATOR_DISCOVERY_SERVE_HOST"
SERVE_PORT_VAR = "CREATOR_DISCOVERY_SERVE_PORT"
SERVE_RELOAD_SECONDS_VAR = "CREATOR_DISCOVERY_SERVE_RELOAD_SECONDS"
READER_HISTORY_POSTS_VAR = "CREATOR_DISCOVERY_READER_HISTORY_POSTS"

DEFAULT_EXPORT_PAUSE_SECONDS = 60.0
DEFAULT_UI_PORT = 3000
# The online service (service/, `make serve`): loopback unless told otherwise.
DEFAULT_SERVE_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8000
# How often the service looks for a new search bundle and champion (never per request).
DEFAULT_SERVE_RELOAD_SECONDS = 30.0
# Each reader's latest posts opened, exported beside the recommendations (reader_recent_posts)
# for the explorer's history: rows = readers x this, half of user_creators' 20 per reader.
DEFAULT_READER_HISTORY_POSTS = 10
# The ALS search (recsys/models/tuning.py): on the demo, 12 trials take 35-55 s on a 2-core box.
DEFAULT_TUNING_TRIALS = 12
DEFAULT_TUNING_SECONDS = 45.0
# Train users the ALS search reads (a seeded sample above it): a narrow validation score, and trials
# of seconds at the large scale (1M readers). The demo's 20k readers are all read.
DEFAULT_TUNING_MAX_USERS = 50_000
# The generator's first day: the demo's event partitions start here unless the landing zone (or the
# setting) says earlier.
DEFAULT_FIRST_EVENT_DAY = dt.date(2026, 9, 1)
# The daily volume rule (recsys/quality/volume.py takes its defaults from here).
VolumeMode = Literal["block", "warn"]
MissingDays = Literal["skip", "fail"]
VOLUME_MODES: tuple[VolumeMode, ...] = ("block", "warn")
MISSING_DAYS: tuple[MissingDays, ...] = ("skip", "fail")
DEFAULT_VOLUME_WINDOW_DAYS = 28
DEFAULT_VOLUME_MIN_RATIO = 0.2
DEFAULT_VOLUME_MAX_RATIO = 5.0
DEFAULT_VOLUME_MIN_ROWS = 100
DEFAULT_VOLUME_MODE: VolumeMode = "warn"
DEFAULT_VOLUME_MISSING_DAYS: MissingDays = "skip"
DEFAULT_BOT_MAX_EVENTS_PER_DAY = 500
DEFAULT_HOLDOUT_DAYS = 7
# How the holdout is cut (dbt marts/user_split_cutoffs): per user (each user's last new creator),
# which judged the most users on the demo without leakage (19,641 vs 16,606 for the global cutoff).
SplitProtocol = Literal["global", "per_user"]
SPLIT_PROTOCOLS: tuple[SplitProtocol, ...] = ("global", "per_user")
DEFAULT_SPLIT_PROTOCOL: SplitProtocol = "per_user"
DEFAULT_NEW_CREATOR_DAYS = 30
DEFAULT_RECENT_ACTIVITY_DAYS = 7
DEFAULT_FRESH_POST_DAYS = 7.0
DEFAULT_DRIFT_CURRENT_DAYS = 7
DEFAULT_DRIFT_REFERENCE_DAYS = 14
# Taste drift (recsys/monitoring/taste.py): a reader's topic mix moved when its Jensen-Shannon
# divergence passes 0.2 bits; drift is that share 0.2 above the control's.
DEFAULT_TASTE_DIVERGENCE = 0.2
DEFAULT_TASTE_MAX_SHARE_INCREASE = 0.2
# Served quality (recsys/monitoring/band.py): a day against the two weeks before it, failing
# more than three spreads below their mean.
DEFAULT_SERVED_QUALITY_TRAILING_DAYS = 14
DEFAULT_SERVED_QUALITY_BAND_WIDTH = 3.0
# The Dagster instance on PostgreSQL must use psycopg2: with a plain postgresql:// URL SQLAlchemy
# 2.1 picks psycopg 3, and dagster-postgres then fails on `NOTIFY run_events, $1`.
DAGSTER_STORAGE_SCHEME = "postgresql+psycopg2"
# One shard: user_creators and user_posts are scored in one step (assets/recommendations.py).
DEFAULT_SCORING_SHARDS = 1
# How a run executes its steps: in one process (DuckDB admits one writer per file) or, on
# Kubernetes, each step in its own pod (deploy/k8s, dagster-k8s from the `deploy` group).
Executor = Literal["in_process", "k8s"]
EXECUTORS: tuple[Executor, ...] = ("in_process", "k8s")
DEFAULT_EXECUTOR: Executor = "in_process"
PRODUCT_DB_FILE = "product.db"


@dataclass(frozen=True)
class Settings:
    """Where the project keeps its data, where it exports to, and the few knobs of its tools."""

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    configured_product_db_url: str | None = None
    """CREATOR_DISCOVERY_PRODUCT_DB_URL when set; None: the SQLite file beside the warehouse."""
    export_pause_at: frozenset[str] = frozenset()
    """Fault-test hook of the export command line (recsys/publish/export/cli.py); empty: off."""
    export_pause_seconds: float = DEFAULT_EXPORT_PAUSE_SECONDS
    ui_port: int = DEFAULT_UI_PORT
    serve_host: str = DEFAULT_SERVE_HOST
    """CREATOR_DISCOVERY_SERVE_HOST: the address the service binds (loopback by default)."""
    serve_port: int = DEFAULT_SERVE_PORT
    """CREATOR_DISCOVERY_SERVE_PORT: the service's port."""
    serve_reload_seconds: float = DEFAULT_SERVE_RELOAD_SECONDS
    """CREATOR_DISCOVERY_SERVE_RELOAD_SECONDS: how often the service polls for a new search
    bundle and the content champion."""
    reader_history_posts: int = DEFAULT_READER_HISTORY_POSTS
    """CREATOR_DISCOVERY_READER_HISTORY_POSTS: how many of each reader's latest opened posts the
    export writes to reader_recent_posts (at least 1)."""
    first_event_day: dt.date | None = None
    """CREATOR_DISCOVERY_FIRST_EVENT_DAY: the first day of the event partitions. Unset: the earlier
    of DEFAULT_FIRST_EVENT_DAY and the landing zone's earliest day (`event_partitions_start`). Set,
    a landing zone holding days before it is refused before anything is loaded."""
    volume_window_days: int = DEFAULT_VOLUME_WINDOW_DAYS
    """CREATOR_DISCOVERY_VOLUME_WINDOW_DAYS: the trailing days a day's volume is judged against."""
    volume_min_ratio: float = DEFAULT_VOLUME_MIN_RATIO
    """CREATOR_DISCOVERY_VOLUME_MIN_RATIO: a day quieter than this times the quietest trailing
    delivered day is flagged."""
    volume_max_ratio: float = DEFAULT_VOLUME_MAX_RATIO
    """CREATOR_DISCOVERY_VOLUME_MAX_RATIO: a day busier than this times the busiest trailing
    delivered day is flagged."""
    volume_min_rows: int = DEFAULT_VOLUME_MIN_ROWS
    """CREATOR_DISCOVERY_VOLUME_MIN_ROWS: below this trailing median the volume is not judged."""
    volume_mode: VolumeMode = DEFAULT_VOLUME_MODE
    """CREATOR_DISCOVERY_VOLUME_MODE: `warn` (a flagged day is a warning) or `block` (it stops what
    follows, in its run and later ones, until delivered again)."""
    volume_missing_days: MissingDays = DEFAULT_VOLUME_MISSING_DAYS
    """CREATOR_DISCOVERY_VOLUME_MISSING_DAYS: `skip` (a day without delivery is a gap, not judged)
    or `fail` (every day of a loaded range must be delivered)."""
    bot_max_events_per_day: int = DEFAULT_BOT_MAX_EVENTS_PER_DAY
    """CREATOR_DISCOVERY_BOT_MAX_EVENTS_PER_DAY: users above this many events on some day are bots
    (dbt var bot_max_events_per_day; stg_bot_users shows the per-user daily percentiles)."""
    holdout_days: int = DEFAULT_HOLDOUT_DAYS
    """CREATOR_DISCOVERY_HOLDOUT_DAYS: whole days, up to the latest event's, held out (dbt var)."""
    split_protocol: SplitProtocol = DEFAULT_SPLIT_PROTOCOL
    """CREATOR_DISCOVERY_SPLIT_PROTOCOL: `per_user` (each user judged on the creator they met last,
    trained on what came before it) or `global` (everyone split at the one cutoff, the last
    holdout_days); dbt var split_protocol."""
    new_creator_days: int = DEFAULT_NEW_CREATOR_DAYS
    """CREATOR_DISCOVERY_NEW_CREATOR_DAYS: creators created within this many days of the latest
    event are new (dbt var new_creator_days)."""
    recent_activity_days: int = DEFAULT_RECENT_ACTIVITY_DAYS
    """CREATOR_DISCOVERY_RECENT_ACTIVITY_DAYS: the days before the latest event whose events make a
    creator's recent audience (creator_features' *_recent columns, dbt var recent_activity_days),
    which the fallback for readers without history ranks by."""
    fresh_post_days: float = DEFAULT_FRESH_POST_DAYS
    """CREATOR_DISCOVERY_FRESH_POST_DAYS: posts published within this many days of the latest event
    are fresh enough for user_posts (the feed's recent_days)."""
    drift_current_days: int = DEFAULT_DRIFT_CURRENT_DAYS
    """CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS: feature drift's current window, up to the latest
    event."""
    drift_reference_days: int = DEFAULT_DRIFT_REFERENCE_DAYS
    """CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS: feature drift's reference window, up to the day the
    champion was trained through."""
    taste_divergence: float = DEFAULT_TASTE_DIVERGENCE
    """CREATOR_DISCOVERY_TASTE_DIVERGENCE: the Jensen-Shannon divergence (bits) past which a
    reader's topic mix moved between the drift windows (taste_drift)."""
    taste_max_share_increase: float = DEFAULT_TASTE_MAX_SHARE_INCREASE
    """CREATOR_DISCOVERY_TASTE_MAX_SHARE_INCREASE: taste_drift fails when the share of readers
    whose mix moved exceeds the control's share by more than this."""
    served_quality_trailing_days: int = DEFAULT_SERVED_QUALITY_TRAILING_DAYS
    """CREATOR_DISCOVERY_SERVED_QUALITY_TRAILING_DAYS: the days before a scored day whose served
    quality makes its band."""
    served_quality_band_width: float = DEFAULT_SERVED_QUALITY_BAND_WIDTH
    """CREATOR_DISCOVERY_SERVED_QUALITY_BAND_WIDTH: how many spreads below the trailing mean a
    day's served quality may fall before its check fails."""
    tuning_trials: int = DEFAULT_TUNING_TRIALS
    """CREATOR_DISCOVERY_TUNING_TRIALS: trials of the ALS search (models/als_tuning); 0 turns
    tuning off and the holdout twin fits the defaults."""
    tuning_seconds: float = DEFAULT_TUNING_SECONDS
    """CREATOR_DISCOVERY_TUNING_SECONDS: no new trial starts after this many seconds."""
    configured_dagster_home: Path | None = None
    """DAGSTER_HOME when set; None: <data dir>/dagster_home (`dagster_home`)."""
    dagster_storage_url: str | None = None
    """CREATOR_DISCOVERY_DAGSTER_STORAGE_URL: the Dagster instance's runs, events and schedules
    in PostgreSQL (`postgresql+psycopg2://user@host:port/db`); None: SQLite under DAGSTER_HOME."""
    mlflow_tracking_uri: str | None = None
    """CREATOR_DISCOVERY_MLFLOW_TRACKING_URI: MLflow's backend store (runs and registry), e.g.
    `postgresql+psycopg2://user@host:port/db`; None: SQLite in `mlflow_dir`. Artifacts stay
    under `mlflow_dir` either way."""
    scoring_shards: int = DEFAULT_SCORING_SHARDS
    """CREATOR_DISCOVERY_SCORING_SHARDS: user_creators and user_posts are scored in this many
    user shards (`user_id % N`, assets/shards.py), each its own partition and Parquet part; 1
    scores every user in one step."""
    executor: Executor = DEFAULT_EXECUTOR
    """CREATOR_DISCOVERY_EXECUTOR: `in_process` (every step of a run in one process) or `k8s`
    (each step a Kubernetes pod; needs the `deploy` dependency group)."""

    @property
    def truth_dir(self) -> Path:
        """The generator's true preferences, outside the landing zone."""
        return self.data_dir / "truth"

    @property
    def models_dir(self) -> Path:
        """Root of the artifact store (its layout: recsys/models/store.py)."""
        return self.data_dir / "models"

    @property
    def mlflow_dir(self) -> Path:
        """MLflow's SQLite store and artifacts (recsys.models.tracking.TrackingConfig.local)."""
        return self.data_dir / "mlflow"

    @property
    def analytics_dir(self) -> Path:
        """Read-only Parquet snapshots of the output tables (recsys/publish/snapshots.py)."""
        return self.data_dir / "analytics"

    @property
    def drift_demo_dir(self) -> Path:
        """The data folder of `make drift-demo`, kept apart from the demo's own data."""
        return self.data_dir / "drift_demo"

    @property
    def bench_dir(self) -> Path:
        """Working folders of the benchmarks (bench/)."""
        return self.data_dir / "bench"

    @property
    def explorer_url(self) -> str:
        """The explorer page of the service (`make serve`) as a browser on this machine reaches
        it: a wildcard bind address is reached on loopback."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(
            self.serve_host, self.serve_host
        )
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.serve_port}/explore"

    @property
    def shards_dir(self) -> Path:
        """The user shards' Parquet parts of the scored tables (recsys/serving/shards.py)."""
        return self.data_dir / "shards"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance's folder: DAGSTER_HOME, else <data dir>/dagster_home."""
        return self.configured_dagster_home or self.data_dir / "dagster_home"

    @property
    def mlflow_tracking(self) -> TrackingConfig:
        """Where runs and the registry live: the configured store, else SQLite in `mlflow_dir`;
        artifacts under `mlflow_dir`/artifacts either way."""
        from recsys.models.tracking import TrackingConfig

        local = TrackingConfig.local(self.mlflow_dir)
        if self.mlflow_tracking_uri is None:
            return local
        return TrackingConfig(self.mlflow_tracking_uri, local.artifact_root)

    @property
    def product_db_url(self) -> str:
        """The product database exports go to: the configured URL, else a SQLite file beside
        the warehouse."""
        from recsys.publish.export.target import sqlite_url

        return self.configured_product_db_url or sqlite_url(
            self.warehouse_path.parent / PRODUCT_DB_FILE
        )

    @property
    def product_db_url_from_env(self) -> bool:
        """Whether the URL came from the environment (and may hold credentials)."""
        return self.configured_product_db_url is not None

    @property
    def volume_rule(self) -> VolumeRule:
        """The events contract's daily volume rule (recsys/quality/volume.py)."""
        from recsys.quality.volume import VolumeRule

        return VolumeRule(
            window_days=self.volume_window_days,
            min_ratio=self.volume_min_ratio,
            max_ratio=self.volume_max_ratio,
            min_rows=self.volume_min_rows,
            mode=self.volume_mode,
            missing_days=self.volume_missing_days,
        )

    @property
    def dbt_vars(self) -> dict[str, int | str]:
        """The dbt vars these settings set (assets/dbt.py passes them as --vars)."""
        return {
            "bot_max_events_per_day": self.bot_max_events_per_day,
            "holdout_days": self.holdout_days,
            "split_protocol": self.split_protocol,
            "new_creator_days": self.new_creator_days,
            "recent_activity_days": self.recent_activity_days,
        }

    def event_partitions_start(self, landed_days: list[dt.date]) -> dt.date:
        """The first event partition: the setting when set, else the earlier of the default and
        the landing zone's earliest day (so the demo keeps its start and a longer history fits)."""
        if self.first_event_day is not None:
            return self.first_event_day
        return min([DEFAULT_FIRST_EVENT_DAY, *landed_days])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (default: this process's environment); an unset or empty
        variable takes its default. Relative paths are resolved against the current directory."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(DATA_DIR_VAR) or PROJECT_ROOT / "data").resolve()
        landing_dir = Path(env.get(LANDING_DIR_VAR) or data_dir / "landing").resolve()
        warehouse = Path(env.get(WAREHOUSE_VAR) or data_dir / "warehouse.duckdb").resolve()
        pause_at = frozenset(s for s in env.get(EXPORT_PAUSE_AT_VAR, "").split(",") if s)
        return cls(
            data_dir=data_dir,
            landing_dir=landing_dir,
            warehouse_path=warehouse,
            configured_product_db_url=env.get(PRODUCT_DB_URL_VAR) or None,
            export_pause_at=pause_at,
            export_pause_seconds=_number(
                env, EXPORT_PAUSE_SECONDS_VAR, float, DEFAULT_EXPORT_PAUSE_SECONDS
            ),
            ui_port=_number(env, UI_PORT_VAR, int, DEFAULT_UI_PORT),
            serve_host=env.get(SERVE_HOST_VAR) or DEFAULT_SERVE_HOST,
            serve_port=_number(env, SERVE_PORT_VAR, int, DEFAULT_SERVE_PORT),
            serve_reload_seconds=_number(
                env, SERVE_RELOAD_SECONDS_VAR, float, DEFAULT_SERVE_RELOAD_SECONDS
            ),
            reader_history_posts=_at_least_one(
                _number(env, READER_HISTORY_POSTS_VAR, int, DEFAULT_READER_HISTORY_POSTS),
                READER_HISTORY_POSTS_VAR,
            ),
            first_event_day=_date(env, FIRST_EVENT_DAY_VAR),
            volume_window_days=_number(
                env, VOLUME_WINDOW_DAYS_VAR, int, DEFAULT_VOLUME_WINDOW_DAYS
            ),
            volume_min_ratio=_number(env, VOLUME_MIN_RATIO_VAR, float, DEFAULT_VOLUME_MIN_RATIO),
            volume_max_ratio=_number(env, VOLUME_MAX_RATIO_VAR, float, DEFAULT_VOLUME_MAX_RATIO),
            volume_min_rows=_number(env, VOLUME_MIN_ROWS_VAR, int, DEFAULT_VOLUME_MIN_ROWS),
            volume_mode=_choice(env, VOLUME_MODE_VAR, VOLUME_MODES, DEFAULT_VOLUME_MODE),
            volume_missing_days=_choice(
                env, VOLUME_MISSING_DAYS_VAR, MISSING_DAYS, DEFAULT_VOLUME_MISSING_DAYS
            ),
            bot_max_events_per_day=_number(
                env, BOT_MAX_EVENTS_PER_DAY_VAR, int, DEFAULT_BOT_MAX_EVENTS_PER_DAY
            ),
            holdout_days=_number(env, HOLDOUT_DAYS_VAR, int, DEFAULT_HOLDOUT_DAYS),
            split_protocol=_choice(
                env, SPLIT_PROTOCOL_VAR, SPLIT_PROTOCOLS, DEFAULT_SPLIT_PROTOCOL
            ),
            new_creator_days=_number(env, NEW_CREATOR_DAYS_VAR, int, DEFAULT_NEW_CREATOR_DAYS),
            recent_activity_days=_number(
                env, RECENT_ACTIVITY_DAYS_VAR, int, DEFAULT_RECENT_ACTIVITY_DAYS
            ),
            fresh_post_days=_number(env, FRESH_POST_DAYS_VAR, float, DEFAULT_FRESH_POST_DAYS),
            drift_current_days=_number(
                env, DRIFT_CURRENT_DAYS_VAR, int, DEFAULT_DRIFT_CURRENT_DAYS
            ),
            drift_reference_days=_number(
                env, DRIFT_REFERENCE_DAYS_VAR, int, DEFAULT_DRIFT_REFERENCE_DAYS
            ),
            taste_divergence=_number(env, TASTE_DIVERGENCE_VAR, float, DEFAULT_TASTE_DIVERGENCE),
            taste_max_share_increase=_number(
                env, TASTE_MAX_SHARE_INCREASE_VAR, float, DEFAULT_TASTE_MAX_SHARE_INCREASE
            ),
            served_quality_trailing_days=_number(
                env, SERVED_QUALITY_TRAILING_DAYS_VAR, int, DEFAULT_SERVED_QUALITY_TRAILING_DAYS
            ),
            served_quality_band_width=_number(
                env, SERVED_QUALITY_BAND_WIDTH_VAR, float, DEFAULT_SERVED_QUALITY_BAND_WIDTH
            ),
            tuning_trials=_number(env, TUNING_TRIALS_VAR, int, DEFAULT_TUNING_TRIALS),
            tuning_seconds=_number(env, TUNING_SECONDS_VAR, float, DEFAULT_TUNING_SECONDS),
            configured_dagster_home=_path(env, DAGSTER_HOME_VAR),
            dagster_storage_url=_dagster_storage_url(env),
            mlflow_tracking_uri=env.get(MLFLOW_TRACKING_URI_VAR) or None,
            scoring_shards=_at_least_one(
                _number(env, SCORING_SHARDS_VAR, int, DEFAULT_SCORING_SHARDS), SCORING_SHARDS_VAR
            ),
            executor=_choice(env, EXECUTOR_VAR, EXECUTORS, DEFAULT_EXECUTOR),
        )


def child_env(path_first: Path | None = None) -> dict[str, str]:
    """This process's environment for a child process, with `path_first` first on PATH."""
    env = dict(os.environ)
    if path_first is not None:
        env["PATH"] = os.pathsep.join(filter(None, [str(path_first), env.get("PATH", "")]))
    return env


def _number(env: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    text = env.get(name)
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name}={text!r}: expected {expected}") from None


def _at_least_one(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name}={value}: expected a whole number of at least 1")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    text = env.get(name)
    return Path(text).resolve() if text else None


def _dagster_storage_url(env: Mapping[str, str]) -> str | None:
    """The instance's PostgreSQL URL; a URL that would reach psycopg 3 is refused, naming the one
    to write instead (password masked: the message may end up in a log)."""
    from recsys.publish.export.target import mask_url

    url = env.get(DAGSTER_STORAGE_URL_VAR)
    if not url:
        return None
    scheme, separator, rest = url.partition("://")
    if scheme == DAGSTER_STORAGE_SCHEME:
        return url
    if separator and scheme.split("+")[0] in ("postgresql", "postgres"):
        raise ValueError(
            f"{DAGSTER_STORAGE_URL_VAR}: write {mask_url(f'{DAGSTER_STORAGE_SCHEME}://{rest}')}; "
            f"{scheme}:// connects through psycopg 3 (SQLAlchemy 2.1's choice), on which "
            "dagster-postgres fails (`NOTIFY run_events, $1`)"
        )
    raise ValueError(
        f"{DAGSTER_STORAGE_URL_VAR}: expected a PostgreSQL URL "
        f"{DAGSTER_STORAGE_SCHEME}://user[:password]@host:port/database, not {mask_url(url)!r}"
    )


def _date(env: Mapping[str, str], name: str) -> dt.date | None:
    text = env.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: expected a day as YYYY-MM-DD") from None


C = TypeVar("C", bound=str)


def _choice(env: Mapping[str, str], name: str, choices: tuple[C, ...], default: C) -> C:
    text = env.get(name)
    if not text:
        return default
    for choice in choices:
        if text == choice:
            return choice
    raise ValueError(f"{name}={text!r}: expected one of {', '.join(choices)}")
