"""Load what the champion model versions serve: ALS factors and content embeddings."""

from pathlib import Path

import numpy as np

from assets.models import ALS_MODEL, CONTENT_MODEL
from recsys.models.als import AlsFactors
from resources import MlflowTracking


def champion_folder(mlflow: MlflowTracking, model_name: str) -> tuple[Path, int]:
    """The local artifact folder and version number of the model's champion."""
    from recsys.models.tracking import champion

    record = champion(mlflow.config, model_name)
    if record is None or record.local_path is None:
        raise LookupError(
            f"{model_name} has no champion yet: materialize the models group and let its "
            "quality gate pass first"
        )
    return record.local_path, record.version


def champion_als(mlflow: MlflowTracking) -> tuple[AlsFactors, int]:
    folder, version = champion_folder(mlflow, ALS_MODEL)
    return AlsFactors.load(folder / "factors.npz"), version


def champion_embeddings(mlflow: MlflowTracking, which: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids, vectors, version) of the champion content model's 'post' or 'creator' embeddings."""
    folder, version = champion_folder(mlflow, CONTENT_MODEL)
    with np.load(folder / f"{which}_embeddings.npz", allow_pickle=False) as arrays:
        return arrays["ids"], arrays["vectors"], version
