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
FRESH_POST_DAYS_VAR = "CREATOR_DISCOVERY_FRESH_POST_DAYS"
DRIFT_CURRENT_DAYS_VAR = "CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS"
DRIFT_REFERENCE_DAYS_VAR = "CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS"
TUNING_TRIALS_VAR = "CREATOR_DISCOVERY_TUNING_TRIALS"
TUNING_SECONDS_VAR = "CREATOR_DISCOVERY_TUNING_SECONDS"
# Not prefixed: `make ui` passes the same name as a make variable (UI_PORT=3001 make ui).
UI_PORT_VAR = "UI_PORT"
SERVE_HOST_VAR = "CREATOR_DISCOVERY_SERVE_HOST"
SERVE_PORT_VAR = "CREATOR_DISCOVERY_SERVE_PORT"
SERVE_RELOAD_SECONDS_VAR = "CREATOR_DISCOVERY_SERVE_RELOAD_SECONDS"

DEFAULT_EXPORT_PAUSE_SECONDS = 60.0
DEFAULT_UI_PORT = 3000
# The online service (service/, `make serve`): loopback unless told otherwise.
DEFAULT_SERVE_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8000
# How often the service looks for a new search bundle and champion (never per request).
DEFAULT_SERVE_RELOAD_SECONDS = 30.0
# The ALS search (recsys/models/tuning.py): on the demo, 12 trials take 35-55 s on a 2-core box.
DEFAULT_TUNING_TRIALS = 12
DEFAULT_TUNING_SECONDS = 45.0
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
DEFAULT_FRESH_POST_DAYS = 7.0
DEFAULT_DRIFT_CURRENT_DAYS = 7
DEFAULT_DRIFT_REFERENCE_DAYS = 14
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
    fresh_post_days: float = DEFAULT_FRESH_POST_DAYS
    """CREATOR_DISCOVERY_FRESH_POST_DAYS: posts published within this many days of the latest event
    are fresh enough for user_posts (the feed's recent_days)."""
    drift_current_days: int = DEFAULT_DRIFT_CURRENT_DAYS
    """CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS: feature drift's current window, up to the latest
    event."""
    drift_reference_days: int = DEFAULT_DRIFT_REFERENCE_DAYS
    """CREATOR_DISCOVERY_DRIFT_REFERENCE_DAYS: feature drift's reference window, up to the day the
    champion was trained through."""
    tuning_trials: int = DEFAULT_TUNING_TRIALS
    """CREATOR_DISCOVERY_TUNING_TRIALS: trials of the ALS search (models/als_tuning); 0 turns
    tuning off and the holdout twin fits the defaults."""
    tuning_seconds: float = DEFAULT_TUNING_SECONDS
    """CREATOR_DISCOVERY_TUNING_SECONDS: no new trial starts after this many seconds."""

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
            fresh_post_days=_number(env, FRESH_POST_DAYS_VAR, float, DEFAULT_FRESH_POST_DAYS),
            drift_current_days=_number(
                env, DRIFT_CURRENT_DAYS_VAR, int, DEFAULT_DRIFT_CURRENT_DAYS
            ),
            drift_reference_days=_number(
                env, DRIFT_REFERENCE_DAYS_VAR, int, DEFAULT_DRIFT_REFERENCE_DAYS
            ),
            tuning_trials=_number(env, TUNING_TRIALS_VAR, int, DEFAULT_TUNING_TRIALS),
            tuning_seconds=_number(env, TUNING_SECONDS_VAR, float, DEFAULT_TUNING_SECONDS),
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
