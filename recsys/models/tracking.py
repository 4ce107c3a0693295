"""Typed helpers over MLflow tracking and its model registry: runs, versions, the champion alias.

Linking convention (DESIGN.md, Modelling notes): a configuration is first fitted on the training
split and evaluated on the temporal holdout (the *holdout run*, metrics such as ``ndcg_at_10``),
then refitted on all data (the *serving run*, which is what gets registered). ``holdout_tags``
turns the holdout run into tags ``holdout_run_id`` and ``holdout_<metric>``; pass them to both
``log_training_run`` (serving run) and ``register_version`` so the version carries the numbers the
gate judges, and ``ModelVersionRecord.holdout_metrics`` reads them back.

MLflow is imported inside each function: importing it costs ~3.4 s and Dagster imports recsys
when it loads the code location.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import pandas as pd

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

HOLDOUT_PREFIX = "holdout_"
HOLDOUT_RUN_TAG = "holdout_run_id"
# MLflow's own tag for nesting: the UI shows a run with it under its parent.
PARENT_RUN_TAG = "mlflow.parentRunId"
CHAMPION = "champion"
DEFAULT_UI = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class TrackingConfig:
    """Where runs and the registry live: a tracking URI and a local artifact folder."""

    tracking_uri: str
    artifact_root: Path
    experiment: str = "creator-discovery"

    @classmethod
    def local(cls, folder: Path, experiment: str = "creator-discovery") -> TrackingConfig:
        """SQLite store at folder/mlflow.db, artifacts under folder/artifacts."""
        folder = Path(folder).resolve()
        return cls(f"sqlite:///{folder / 'mlflow.db'}", folder / "artifacts", experiment)


@dataclass(frozen=True)
class ModelVersionRecord:
    """A registered model version with its run's metrics and params, and where its files are."""

    name: str
    version: int
    run_id: str
    source: str
    local_path: Path | None
    created: pd.Timestamp
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def holdout_metrics(self) -> dict[str, float]:
        """Metrics the gate judges: the run's own, overridden by its holdout twin's (tags)."""
        linked = {
            key.removeprefix(HOLDOUT_PREFIX): float(value)
            for key, value in self.tags.items()
            if key.startswith(HOLDOUT_PREFIX) and key != HOLDOUT_RUN_TAG
        }
        return {**self.metrics, **linked}


def log_training_run(
    config: TrackingConfig,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    artifacts_dir: Path | None = None,
    tags: Mapping[str, str] | None = None,
    artifact_path: str = "model",
) -> str:
    """Log one finished run: params, metrics, tags, the files of artifacts_dir; its run id."""
    from mlflow.entities import Metric, Param

    client = _client(config)
    experiment_id = _experiment_id(client, config)
    run = client.create_run(experiment_id, run_name=run_name, tags=dict(tags or {}))
    run_id = run.info.run_id
    try:
        client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), _now_ms(), 0) for k, v in metrics.items()],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        if artifacts_dir is not None:
            client.log_artifacts(run_id, str(artifacts_dir), artifact_path)
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id


def log_dated_run(
    config: TrackingConfig,
    run_name: str,
    day: dt.date,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str] | None = None,
) -> str:
    """Log one finished run of figures about `day`: each metric stamped at the day's midnight
    (UTC) at step = days since 1970-01-01, so MLflow's charts lay runs of successive days along
    time (x-axis "Step" or "Time (wall)"); its run id."""
    from mlflow.entities import Metric, Param

    client = _client(config)
    run = client.create_run(
        _experiment_id(client, config), run_name=run_name, tags=dict(tags or {})
    )
    stamp = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)
    step = (day - dt.date(1970, 1, 1)).days
    try:
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, float(v), stamp, step) for k, v in metrics.items()],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
    except BaseException:
        client.set_terminated(run.info.run_id, "FAILED")
        raise
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def holdout_tags(config: TrackingConfig, holdout_run_id: str) -> dict[str, str]:
    """Tags that link a serving run or version to its holdout twin: its id and its metrics."""
    metrics = _client(config).get_run(holdout_run_id).data.metrics
    linked = {f"{HOLDOUT_PREFIX}{name}": repr(float(value)) for name, value in metrics.items()}
    return {HOLDOUT_RUN_TAG: holdout_run_id, **linked}


def register_version(
    config: TrackingConfig,
    model_name: str,
    run_id: str,
    artifact_path: str = "model",
    tags: Mapping[str, str] | None = None,
) -> int:
    """Register the run's artifact_path folder as a new version of model_name; its number."""
    from mlflow.exceptions import MlflowException

    client = _client(config)
    # A version pointing at nothing would only fail later, when serving loads it.
    if not client.list_artifacts(run_id, artifact_path):
        raise FileNotFoundError(f"run {run_id} has no artifacts under {artifact_path!r}")
    try:
        client.create_registered_model(model_name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    # Plain files, not a pyfunc model: a pyfunc would pickle project classes by reference.
    source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
    version = client.create_model_version(model_name, source, run_id, tags=dict(tags or {}))
    return int(version.version)


def find_run(config: TrackingConfig, tags: Mapping[str, str]) -> str | None:
    """The newest FINISHED run of the experiment carrying all these tags, or None."""
    client = _client(config)
    experiment = client.get_experiment_by_name(config.experiment)
    if experiment is None:
        return None
    conditions = [f"tags.{key} = '{value}'" for key, value in tags.items()]
    runs = client.search_runs(
        [experiment.experiment_id],
        " and ".join([*conditions, "attributes.status = 'FINISHED'"]),
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0].info.run_id if runs else None


def run_metrics(config: TrackingConfig, run_id: str) -> dict[str, float]:
    """The metrics a run logged."""
    return dict(_client(config).get_run(run_id).data.metrics)


def run_params(config: TrackingConfig, run_id: str) -> dict[str, str]:
    """The params a run logged (as text, as MLflow keeps them)."""
    return dict(_client(config).get_run(run_id).data.params)


def start_parent_run(
    config: TrackingConfig, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]
) -> str:
    """Open a run that nested runs hang under (e.g. a search and its trials); its run id.

    Close it with `finish_parent_run`, which also marks it FAILED when the block raised.
    """
    from mlflow.entities import Param

    client = _client(config)
    run = client.create_run(_experiment_id(client, config), run_name=run_name, tags=dict(tags))
    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in params.items()])
    return run.info.run_id


def log_nested_run(
    config: TrackingConfig,
    parent_run_id: str,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
) -> str:
    """One finished run nested under parent_run_id (the MLflow UI folds it under the parent)."""
    return log_training_run(config, run_name, params, metrics, tags={PARENT_RUN_TAG: parent_run_id})


def finish_parent_run(
    config: TrackingConfig,
    run_id: str,
    metrics: Mapping[str, float],
    params: Mapping[str, Any] | None = None,
    failed: bool = False,
) -> None:
    """Log the parent's closing params and metrics and end it FINISHED (or FAILED)."""
    from mlflow.entities import Metric, Param

    client = _client(config)
    try:
        client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), _now_ms(), 0) for k, v in metrics.items()],
            params=[Param(k, str(v)) for k, v in (params or {}).items()],
        )
    finally:
        client.set_terminated(run_id, "FAILED" if failed else "FINISHED")


def nested_runs(config: TrackingConfig, parent_run_id: str) -> pd.DataFrame:
    """The runs nested under parent_run_id: run_id, run_name, status, then params.* and metrics.*"""
    client = _client(config)
    experiment_id = client.get_run(parent_run_id).info.experiment_id
    runs = client.search_runs(
        [experiment_id], f"tags.`{PARENT_RUN_TAG}` = '{parent_run_id}'", max_results=10_000
    )
    return pd.DataFrame(
        [
            {
                "run_id": run.info.run_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
            }
            | {f"params.{k}": v for k, v in run.data.params.items()}
            | {f"metrics.{k}": v for k, v in run.data.metrics.items()}
            for run in runs
        ]
    )


def find_version(config: TrackingConfig, model_name: str, tag: str, value: str) -> int | None:
    """The newest registered version of model_name whose tag holds value, or None."""
    client = _client(config)
    versions = client.search_model_versions(f"name = '{model_name}'")
    matching = [int(v.version) for v in versions if v.tags.get(tag) == value]
    return max(matching, default=None)


def promote(config: TrackingConfig, model_name: str, version: int, alias: str = CHAMPION) -> None:
    """Point alias (the champion by default) at version; the previous holder loses it."""
    _client(config).set_registered_model_alias(model_name, alias, str(version))


def champion(
    config: TrackingConfig, model_name: str, alias: str = CHAMPION
) -> ModelVersionRecord | None:
    """The version holding alias, or None before any promotion (or before the model exists)."""
    from mlflow.exceptions import MlflowException

    client = _client(config)
    try:
        model = client.get_registered_model(model_name)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    # Read the alias map rather than get_model_version_by_alias, whose "no such alias" error is a
    # generic INVALID_PARAMETER_VALUE that would also swallow real mistakes.
    version = model.aliases.get(alias)
    if version is None:
        return None
    return _record(client, client.get_model_version(model_name, version))


def version_record(config: TrackingConfig, model_name: str, version: int) -> ModelVersionRecord:
    """One registered version with its run's metrics, params and tags."""
    client = _client(config)
    return _record(client, client.get_model_version(model_name, str(version)))


def metric_history(
    config: TrackingConfig, model_name: str, metric_names: list[str]
) -> pd.DataFrame:
    """One row per version, oldest first: version, run_id, created, then each holdout metric."""
    client = _client(config)
    versions = client.search_model_versions(f"name = '{model_name}'")
    rows = []
    for version in sorted(versions, key=lambda v: int(v.version)):
        record = _record(client, version)
        judged = record.holdout_metrics
        rows.append(
            {"version": record.version, "run_id": record.run_id, "created": record.created}
            | {name: judged.get(name, float("nan")) for name in metric_names}
        )
    columns = ["version", "run_id", "created", *metric_names]
    return pd.DataFrame(rows, columns=columns)


def run_url(config: TrackingConfig, run_id: str, ui_base: str = DEFAULT_UI) -> str:
    """Link to the run in the MLflow UI served at ui_base."""
    experiment_id = _client(config).get_run(run_id).info.experiment_id
    return f"{ui_base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def version_url(model_name: str, version: int, ui_base: str = DEFAULT_UI) -> str:
    """Link to a registered model version in the MLflow UI served at ui_base."""
    return f"{ui_base.rstrip('/')}/#/models/{model_name}/versions/{version}"


def _client(config: TrackingConfig) -> MlflowClient:
    from mlflow import MlflowClient

    if config.tracking_uri.startswith("sqlite:///"):
        # SQLite creates the database file but not its folder.
        database = Path(config.tracking_uri.removeprefix("sqlite:///"))
        database.parent.mkdir(parents=True, exist_ok=True)
    # The registry URI is explicit so nothing falls back to a global or environment setting.
    return MlflowClient(tracking_uri=config.tracking_uri, registry_uri=config.tracking_uri)


def _experiment_id(client: MlflowClient, config: TrackingConfig) -> str:
    experiment = client.get_experiment_by_name(config.experiment)
    if experiment is None:
        root = Path(config.artifact_root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return client.create_experiment(config.experiment, artifact_location=root.as_uri())
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def _record(client: MlflowClient, version: ModelVersion) -> ModelVersionRecord:
    run = client.get_run(version.run_id)
    return ModelVersionRecord(
        name=version.name,
        version=int(version.version),
        run_id=version.run_id,
        source=version.source,
        local_path=_local_path(version.source),
        created=pd.Timestamp(version.creation_timestamp, unit="ms", tz="UTC"),
        metrics=dict(run.data.metrics),
        params=dict(run.data.params),
        tags=dict(version.tags),
    )


def _local_path(uri: str) -> Path | None:
    """The folder behind a file:// artifact URI (read in place, no copy); None for remote stores."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    if parsed.scheme == "" and Path(uri).is_absolute():
        return Path(uri)
    return None


def _now_ms() -> int:
    return int(pd.Timestamp.now(tz="UTC").timestamp() * 1000)
