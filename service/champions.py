"""The search bundle being served (content model + post index), swapped in as one reference.

A background thread polls at an interval, never per request: the bundle's `current` pointer
(a stat) and the content model's MLflow champion alias. When the pointer moves, the new bundle is
loaded off the request path and replaces the served one in a single assignment; a request holds
the reference it started with. A load that fails keeps the old bundle and says so in the log and
in /health.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from recsys.models.tracking import CHAMPION, TrackingConfig
from recsys.serving.search.engine import SearchBundle, current_bundle_folder, load_search_bundle
from service.embedder import Embedded, QueryEmbedder, UnsupportedPipeline

CONTENT_MODEL_NAME = "creator-discovery-content"
SQLITE_PREFIX = "sqlite:///"

log = logging.getLogger("service.champions")


@dataclass(frozen=True)
class Served:
    """One loaded bundle, its posts and creators as lookups for responses, and when it loaded."""

    bundle: SearchBundle
    folder: Path
    loaded_at: dt.datetime
    posts: dict[int, tuple[int, str]]
    """post_id -> (creator_id, title)"""
    creators: dict[int, tuple[str, str]]
    """creator_id -> (name, category)"""
    embedder: QueryEmbedder | None = None
    """The content model's embedding without scikit-learn's per-call cost; None: the model is
    not the pipeline it reproduces, and the model embeds."""

    def embed(self, text: str) -> Embedded:
        """The content model's vector of `text` and the words it does not know."""
        if self.embedder is not None:
            return self.embedder.embed(text)
        model = self.bundle.content_model
        return Embedded(model.embed([text])[0], model.unknown_words(text))

    @classmethod
    def of(cls, bundle: SearchBundle, folder: Path) -> Served:
        posts = bundle.posts
        creators = bundle.creators
        try:
            embedder = QueryEmbedder(bundle.content_model)
        except UnsupportedPipeline as error:
            log.warning("the content model embeds each query itself (slower): %s", error)
            embedder = None
        return cls(
            bundle,
            folder,
            dt.datetime.now(dt.UTC),
            dict(
                zip(
                    posts["post_id"].tolist(),
                    zip(posts["creator_id"].tolist(), posts["title"].tolist(), strict=True),
                    strict=True,
                )
            ),
            dict(
                zip(
                    creators["creator_id"].tolist(),
                    zip(
                        creators["creator_name"].tolist(),
                        creators["category"].tolist(),
                        strict=True,
                    ),
                    strict=True,
                )
            ),
            embedder,
        )


@dataclass(frozen=True)
class ReloadStatus:
    """What the last poll saw: the registry's champion and the last failed load, if any."""

    checked_at: dt.datetime | None = None
    champion_version: int | None = None
    champion_error: str | None = None
    load_error: str | None = None
    failed_folder: str | None = None


class Champions:
    """Holds the served bundle; `poll()` reloads it when the bundle pointer moves."""

    def __init__(self, bundle_dir: Path, tracking: TrackingConfig | None, interval: float) -> None:
        self.bundle_dir = bundle_dir
        self.tracking = tracking
        self.interval = interval
        self.served: Served | None = None
        self.status = ReloadStatus()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Load the bundle now; the registry (MLflow imports in seconds) is read by the thread."""
        self.poll(check_champion=False)
        self._thread = threading.Thread(target=self._run, name="champion-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        self.poll()
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self, check_champion: bool = True) -> None:
        """Check the pointer and the champion alias; load a moved bundle. Never raises."""
        with self._lock:
            champion_version, champion_error = (
                self._champion()
                if check_champion
                else (self.status.champion_version, self.status.champion_error)
            )
            load_error, failed = self.status.load_error, self.status.failed_folder
            try:
                folder = current_bundle_folder(self.bundle_dir)
                moved = self.served is None or folder != self.served.folder
                if moved and folder.as_posix() != failed:
                    self._load(folder)
                    load_error, failed = None, None
            except Exception as error:  # a bad bundle must never take the service down
                failed = str(current_bundle_folder(self.bundle_dir))
                load_error = f"{type(error).__name__}: {error}"
                kept = self.served.folder if self.served else "nothing"
                log.error(
                    "search bundle %s failed to load (%s); still serving %s",
                    failed,
                    load_error,
                    kept,
                )
            self.status = ReloadStatus(
                dt.datetime.now(dt.UTC), champion_version, champion_error, load_error, failed
            )

    def _load(self, folder: Path) -> None:
        bundle = load_search_bundle(folder)
        # Warm the model and the index before the swap, so no request pays the first call.
        bundle.search("warm up", k=1)
        self.served = Served.of(bundle, folder)
        # The bundle's lookups are hundreds of thousands of long-lived objects: left to the
        # collector, each full collection walks them all and stalls requests for tens of ms.
        gc.collect()
        gc.freeze()
        log.info(
            "serving search bundle %s (content model version %s)", folder, bundle.model_version
        )

    def _champion(self) -> tuple[int | None, str | None]:
        """The content champion's version. From a SQLite store (the default), read from its file:
        a parameterized SELECT costs microseconds, where importing MLflow in the serving process
        costs seconds of CPU (STACK.md). From a tracking server's store (PostgreSQL), or when the
        table is not there, the MLflow client answers, in this background thread."""
        if self.tracking is None:
            return None, None
        uri = self.tracking.tracking_uri
        if uri.startswith(SQLITE_PREFIX):
            database = Path(uri.removeprefix(SQLITE_PREFIX))
            if not database.is_file():
                return None, None
            try:
                with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5) as conn:
                    row = conn.execute(
                        "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                        (CONTENT_MODEL_NAME, CHAMPION),
                    ).fetchone()
                return (int(row[0]) if row else None), None
            except sqlite3.OperationalError:
                pass
        try:
            from recsys.models.tracking import champion

            record = champion(self.tracking, CONTENT_MODEL_NAME)
            return (record.version if record else None), None
        except Exception as error:
            return None, f"{type(error).__name__}: {error}"
