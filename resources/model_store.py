"""The model store: local folders holding the artifacts assets hand to each other."""

from pathlib import Path

import dagster as dg


class ModelStore(dg.ConfigurableResource):
    """Root folder of model artifacts: data/models/<model>/... (MLflow keeps its own copies)."""

    path: str
    truth_path: str

    def folder(self, *parts: str) -> Path:
        folder = Path(self.path).joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def truth_dir(self) -> Path | None:
        """The generator's true preferences, present only on generated data."""
        truth = Path(self.truth_path)
        return truth if truth.is_dir() else None
