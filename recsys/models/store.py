"""The artifact store: where models, indexes, the search bundle and drift reports live on disk, and
the small records one asset hands to the next.

Layout under the root (data/models):

    als/tuning/latest.json                hand-off to models/als_holdout: the tuned configuration
    als/holdout/model/factors.npz         the holdout twin's factors (logged to MLflow)
    als/holdout/latest.json               hand-off to models/als_model: run id and params
    als/serving/model/factors.npz         the serving fit (logged to MLflow)
    als/serving/latest.json               hand-off to the ALS gate: run id and registered version
    content/model/content_model.*         the content pipeline and its sidecar (logged to MLflow)
    content/model/{post,creator}_embeddings.npz
    content/latest.json                   hand-off to the content gate: registered version
    ranker/{holdout,serving}/model/       the ranker's twin and serving boosters (logged to MLflow)
    ranker/latest.json                    hand-off to the ranker gate: the version judged last
    indexes/{posts,creators}.*            Annoy indexes, and .model_version: the version built from
    search/                               the bundle `python -m recsys.serving.search` reads
    drift/<as of>/drift-<as of>.html      Evidently reports, one folder each

A model folder is read back the same way from the store or from MLflow's copy of the champion's
artifacts (`load_als_factors`, `load_embeddings`, `load_content_model`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from recsys.models.als import AlsFactors, AlsParams
from recsys.models.content import ContentModel, Embeddings

if TYPE_CHECKING:
    from recsys.serving.ann import AnnIndex

AlsRole = Literal["holdout", "serving"]
IndexName = Literal["posts", "creators"]
EmbeddingsOf = Literal["post", "creator"]

HANDOFF = "latest.json"
MODEL_DIR = "model"
ALS_FACTORS = "factors.npz"
CONTENT_MODEL = "content_model"
INDEX_VERSION_SUFFIX = ".model_version"
# Which asset writes each hand-off or index, for the message when it is missing.
WRITERS = {
    ("als", "tuning"): "models/als_tuning",
    ("als", "holdout"): "models/als_holdout",
    ("als", "serving"): "models/als_model",
    ("content",): "models/content_model",
    ("ranker",): "models/ranker",
    ("indexes", "posts"): "indexes/post_index",
    ("indexes", "creators"): "indexes/creator_index",
}


class MissingArtifact(FileNotFoundError):
    """An asset reads what an upstream asset has not written yet."""


@dataclass(frozen=True)
class TuningHandoff:
    """From the ALS search to the holdout twin: the search's run and the configuration it chose.

    `tuned` is False when no search ran (trials = 0): the twin then fits its own run config.
    `half_life_days` is None while dbt's interaction strength stands (the defaults won).
    """

    run_id: str
    params: AlsParams
    half_life_days: float | None
    tuned: bool


@dataclass(frozen=True)
class HoldoutHandoff:
    """From the holdout twin to the serving fit: the twin's run and the configuration it judged
    (with the strength's half-life when it is not dbt's)."""

    run_id: str
    params: AlsParams
    half_life_days: float | None = None


@dataclass(frozen=True)
class ServingHandoff:
    """From the serving ALS to its gate: its run and the version it registered."""

    run_id: str
    version: int


@dataclass(frozen=True)
class ContentHandoff:
    """From the content model to its gate: the version it registered."""

    version: int


@dataclass(frozen=True)
class RankerHandoff:
    """From the ranker to its gate: the version it registered, or None with the reason when it
    trained nothing."""

    version: int | None
    reason: str = ""


class ArtifactStore:
    """The files assets hand to each other, under one root folder (MLflow keeps its own copies)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # ALS: the holdout twin and the serving fit.

    def als_model_dir(self, role: AlsRole) -> Path:
        """The folder of the ALS fit in `role`, as logged to MLflow."""
        return self._folder("als", role, MODEL_DIR)

    def save_als(self, role: AlsRole, factors: AlsFactors) -> Path:
        """Save the factors; returns the model folder to log."""
        folder = self.als_model_dir(role)
        factors.save(folder / ALS_FACTORS)
        return folder

    def write_tuning_handoff(self, handoff: TuningHandoff) -> None:
        self._write_handoff(("als", "tuning"), asdict(handoff))

    def read_tuning_handoff(self) -> TuningHandoff:
        record = self._read_handoff(("als", "tuning"))
        return TuningHandoff(
            record["run_id"],
            AlsParams(**record["params"]),
            record["half_life_days"],
            bool(record["tuned"]),
        )

    def write_holdout_handoff(self, handoff: HoldoutHandoff) -> None:
        record = {
            "run_id": handoff.run_id,
            "params": asdict(handoff.params),
            "half_life_days": handoff.half_life_days,
        }
        self._write_handoff(("als", "holdout"), record)

    def read_holdout_handoff(self) -> HoldoutHandoff:
        record = self._read_handoff(("als", "holdout"))
        return HoldoutHandoff(
            record["run_id"], AlsParams(**record["params"]), record.get("half_life_days")
        )

    def write_serving_handoff(self, handoff: ServingHandoff) -> None:
        self._write_handoff(("als", "serving"), asdict(handoff))

    def read_serving_handoff(self) -> ServingHandoff:
        record = self._read_handoff(("als", "serving"))
        return ServingHandoff(record["run_id"], int(record["version"]))

    # The content model.

    def content_model_dir(self) -> Path:
        """The folder of the content model and its embeddings, as logged to MLflow."""
        return self._folder("content", MODEL_DIR)

    def save_content(self, model: ContentModel, posts: Embeddings, creators: Embeddings) -> Path:
        """Save the model and both embeddings; returns the model folder to log."""
        folder = self.content_model_dir()
        model.save(folder / CONTENT_MODEL)
        for which, embedded in (("post", posts), ("creator", creators)):
            np.savez(_embeddings_file(folder, which), ids=embedded.ids, vectors=embedded.vectors)
        return folder

    def write_content_handoff(self, handoff: ContentHandoff) -> None:
        self._write_handoff(("content",), asdict(handoff))

    def read_content_handoff(self) -> ContentHandoff:
        return ContentHandoff(int(self._read_handoff(("content",))["version"]))

    # The ranker.

    def ranker_model_dir(self, role: AlsRole) -> Path:
        """The folder of the ranker in `role` (holdout twin or serving), as logged to MLflow."""
        return self._folder("ranker", role, MODEL_DIR)

    def write_ranker_handoff(self, handoff: RankerHandoff) -> None:
        self._write_handoff(("ranker",), asdict(handoff))

    def read_ranker_handoff(self) -> RankerHandoff:
        record = self._read_handoff(("ranker",))
        version = record["version"]
        return RankerHandoff(None if version is None else int(version), record.get("reason", ""))

    # Indexes, the search bundle, drift reports.

    def index_path(self, name: IndexName) -> Path:
        """Where the index is saved (AnnIndex.save/load add their suffixes)."""
        return self._folder("indexes") / name

    def save_index(self, name: IndexName, index: AnnIndex, model_version: int) -> Path:
        """Save the index and the model version it was built from; returns its Annoy file."""
        from recsys.serving.ann import index_files

        path = self.index_path(name)
        index.save(path)
        # The tables built on the index carry the version of the model behind it.
        _version_file(path).write_text(str(model_version))
        return index_files(path)[0]

    def load_index(self, name: IndexName) -> AnnIndex:
        from recsys.serving.ann import AnnIndex

        self._require(_version_file(self.index_path(name)), ("indexes", name))
        return AnnIndex.load(self.index_path(name))

    def index_model_version(self, name: IndexName) -> int:
        """The version of the model the index was built from."""
        file = self._require(_version_file(self.index_path(name)), ("indexes", name))
        return int(file.read_text())

    def search_bundle_dir(self) -> Path:
        """The search bundle's folder; the bundle writer swaps it in whole."""
        return self.root / "search"

    def drift_report_path(self, as_of: dt.datetime) -> Path:
        """The drift report comparing the events up to `as_of` with the champion's window.

        Each report has a folder of its own, so logging the folder to MLflow uploads this report
        alone, not every earlier one again.
        """
        stamp = f"{as_of:%Y%m%dT%H%M%S}"
        return self._folder("drift", stamp) / f"drift-{stamp}.html"

    def _folder(self, *parts: str) -> Path:
        folder = self.root.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _write_handoff(self, owner: tuple[str, ...], record: dict[str, Any]) -> None:
        (self._folder(*owner) / HANDOFF).write_text(json.dumps(record))

    def _read_handoff(self, owner: tuple[str, ...]) -> dict[str, Any]:
        file = self._require(self.root.joinpath(*owner, HANDOFF), owner)
        return json.loads(file.read_text())

    @staticmethod
    def _require(file: Path, owner: tuple[str, ...]) -> Path:
        if not file.is_file():
            raise MissingArtifact(f"{file} does not exist: materialize {WRITERS[owner]} first")
        return file


def load_als_factors(model_dir: Path) -> AlsFactors:
    """The factors in an ALS model folder (the store's or the champion's in MLflow)."""
    return AlsFactors.load(model_dir / ALS_FACTORS)


def load_embeddings(model_dir: Path, which: EmbeddingsOf) -> Embeddings:
    """The post or creator embeddings in a content model folder."""
    with np.load(_embeddings_file(model_dir, which), allow_pickle=False) as arrays:
        return Embeddings(arrays["ids"], arrays["vectors"])


def load_content_model(model_dir: Path) -> ContentModel:
    """The fitted content pipeline in a content model folder."""
    return ContentModel.load(model_dir / CONTENT_MODEL)


def _embeddings_file(model_dir: Path, which: EmbeddingsOf) -> Path:
    return model_dir / f"{which}_embeddings.npz"


def _version_file(index_path: Path) -> Path:
    return index_path.with_suffix(INDEX_VERSION_SUFFIX)
