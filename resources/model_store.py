"""The model store: the artifacts assets hand to each other (layout: recsys.models.store)."""

from pathlib import Path

import dagster as dg

from recsys.models.store import ArtifactStore


class ModelStore(dg.ConfigurableResource):
    """Root folder of model artifacts, data/models (MLflow keeps its own copies)."""

    path: str
    truth_path: str

    @property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(Path(self.path))

    @property
    def truth_dir(self) -> Path | None:
        """The generator's true preferences, present only on generated data."""
        truth = Path(self.truth_path)
        return truth if truth.is_dir() else None
