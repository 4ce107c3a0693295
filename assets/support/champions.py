"""Load what the champion model versions serve: ALS factors, content embeddings and model."""

from pathlib import Path

from assets.models import ALS_MODEL, CONTENT_MODEL
from recsys.models.als import AlsFactors
from recsys.models.content import ContentModel, Embeddings
from recsys.models.store import EmbeddingsOf, load_als_factors, load_content_model, load_embeddings
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
    return load_als_factors(folder), version


def champion_embeddings(mlflow: MlflowTracking, which: EmbeddingsOf) -> tuple[Embeddings, int]:
    """The champion content model's post or creator embeddings, and its version."""
    folder, version = champion_folder(mlflow, CONTENT_MODEL)
    return load_embeddings(folder, which), version


def champion_content_model(mlflow: MlflowTracking) -> ContentModel:
    folder, _ = champion_folder(mlflow, CONTENT_MODEL)
    return load_content_model(folder)
