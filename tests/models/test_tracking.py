"""MLflow tracking and registry helpers against a real SQLite store, and the quality plot."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pandas as pd
import pytest

from recsys.models import tracking
from recsys.models.tracking import TrackingConfig
from recsys.plots import PNG_SIGNATURE, metric_history_png, png_markdown

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> TrackingConfig:
    """One store for the module: creating MLflow's SQLite schema costs seconds."""
    return TrackingConfig.local(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture
def model_name(request: pytest.FixtureRequest) -> str:
    """A registered model of its own per test, since the store is shared."""
    return f"als-{request.node.name}"


def _model_files(folder: Path, content: str = "factors") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "factors.npz").write_text(content)
    (folder / "params.json").write_text('{"factors": 8}')
    return folder


def _registered(store: TrackingConfig, model_name: str, folder: Path, ndcg: float) -> int:
    run_id = tracking.log_training_run(
        store, "als", {"factors": 8}, {"ndcg_at_10": ndcg}, _model_files(folder), {}
    )
    return tracking.register_version(store, model_name, run_id)


def test_run_is_logged_with_params_metrics_and_artifact_files(
    store: TrackingConfig, tmp_path: Path
) -> None:
    run_id = tracking.log_training_run(
        store,
        "als-holdout",
        params={"factors": 8, "alpha": 10.0},
        metrics={"ndcg_at_10": 0.21, "recall_at_50": 0.4},
        artifacts_dir=_model_files(tmp_path / "model"),
        tags={"role": "holdout"},
    )

    from mlflow import MlflowClient

    run = MlflowClient(store.tracking_uri).get_run(run_id)
    assert run.data.params == {"factors": "8", "alpha": "10.0"}
    assert run.data.metrics == {"ndcg_at_10": 0.21, "recall_at_50": 0.4}
    assert run.data.tags["role"] == "holdout"
    assert run.info.status == "FINISHED"
    logged = list(store.artifact_root.rglob(f"{run_id}/**/model/*"))
    assert sorted(path.name for path in logged) == ["factors.npz", "params.json"]


def test_version_is_registered_from_the_run_files_and_carries_tags(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    run_id = tracking.log_training_run(
        store, "als", {}, {"ndcg_at_10": 0.2}, _model_files(tmp_path / "m", "v1 factors"), {}
    )

    version = tracking.register_version(store, model_name, run_id, tags={"data_day": "2026-11-01"})

    record = tracking.version_record(store, model_name, version)
    assert (version, record.run_id) == (1, run_id)
    assert record.tags == {"data_day": "2026-11-01"}
    assert record.metrics == {"ndcg_at_10": 0.2}
    # Local artifacts are read in place: the path is under the artifact root, not a copy.
    assert record.local_path is not None
    assert record.local_path.is_relative_to(store.artifact_root)
    assert (record.local_path / "factors.npz").read_text() == "v1 factors"


def test_registering_a_run_without_the_artifact_folder_fails(
    store: TrackingConfig, model_name: str
) -> None:
    run_id = tracking.log_training_run(store, "empty", {}, {}, None, {})

    with pytest.raises(FileNotFoundError, match="model"):
        tracking.register_version(store, model_name, run_id)


def test_champion_is_none_before_promotion_and_the_promoted_version_after(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    assert tracking.champion(store, model_name) is None
    version = _registered(store, model_name, tmp_path / "v1", 0.2)
    assert tracking.champion(store, model_name) is None

    tracking.promote(store, model_name, version)

    champion = tracking.champion(store, model_name)
    assert champion is not None
    assert (champion.version, champion.metrics) == (version, {"ndcg_at_10": 0.2})


def test_promoting_a_newer_version_moves_the_alias(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    first = _registered(store, model_name, tmp_path / "v1", 0.2)
    second = _registered(store, model_name, tmp_path / "v2", 0.3)
    tracking.promote(store, model_name, first)

    tracking.promote(store, model_name, second)

    champion = tracking.champion(store, model_name)
    assert champion is not None and champion.version == second == 2


def test_metric_history_lists_every_version_in_order_with_its_metrics(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    for i, ndcg in enumerate([0.2, 0.25, 0.22]):
        _registered(store, model_name, tmp_path / f"v{i}", ndcg)

    history = tracking.metric_history(store, model_name, ["ndcg_at_10", "recall_at_50"])

    assert list(history.columns) == ["version", "run_id", "created", "ndcg_at_10", "recall_at_50"]
    assert history["version"].tolist() == [1, 2, 3]
    assert history["ndcg_at_10"].tolist() == [0.2, 0.25, 0.22]
    assert history["recall_at_50"].isna().all()
    assert history["created"].is_monotonic_increasing


def test_serving_run_links_to_its_holdout_twin_and_the_version_carries_its_metrics(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    holdout_id = tracking.log_training_run(
        store, "als-holdout", {"factors": 8}, {"ndcg_at_10": 0.21}, None, {"role": "holdout"}
    )
    links = tracking.holdout_tags(store, holdout_id)
    serving_id = tracking.log_training_run(
        store, "als-serving", {"factors": 8}, {}, _model_files(tmp_path / "m"), links
    )

    version = tracking.register_version(store, model_name, serving_id, tags=links)

    record = tracking.version_record(store, model_name, version)
    assert record.run_id == serving_id
    assert record.tags["holdout_run_id"] == holdout_id
    assert record.tags["holdout_ndcg_at_10"] == "0.21"
    assert record.holdout_metrics == {"ndcg_at_10": 0.21}
    history = tracking.metric_history(store, model_name, ["ndcg_at_10"])
    assert history["ndcg_at_10"].tolist() == [0.21]

    from mlflow import MlflowClient

    assert MlflowClient(store.tracking_uri).get_run(serving_id).data.tags["holdout_run_id"] == (
        holdout_id
    )


def test_run_url_points_at_the_run_in_the_mlflow_ui(store: TrackingConfig) -> None:
    run_id = tracking.log_training_run(store, "r", {}, {}, None, {})

    url = tracking.run_url(store, run_id, ui_base="http://127.0.0.1:5000/")

    assert url.startswith("http://127.0.0.1:5000/#/experiments/")
    assert url.endswith(f"/runs/{run_id}")


def test_metric_history_png_is_a_png_that_png_markdown_embeds() -> None:
    history = pd.DataFrame({"version": [1, 2, 3], "ndcg_at_10": [0.2, 0.25, 0.22]})

    png = metric_history_png(
        history, ["ndcg_at_10"], {"popularity": 0.1, "oracle": 0.5}, title="ALS holdout"
    )

    assert png.startswith(PNG_SIGNATURE) and len(png) > 1_000
    from matplotlib.image import imread

    assert imread(io.BytesIO(png), format="png").shape[:2] == (300, 600)
    markdown = png_markdown(png, "ALS quality")
    prefix = "![ALS quality](data:image/png;base64,"
    assert markdown.startswith(prefix) and markdown.endswith(")")
    assert base64.b64decode(markdown[len(prefix) : -1]) == png


def test_metric_history_png_draws_an_empty_history() -> None:
    empty = pd.DataFrame({"version": [], "ndcg_at_10": []})

    assert metric_history_png(empty, ["ndcg_at_10"], title="none").startswith(PNG_SIGNATURE)


def test_find_version_returns_the_newest_version_whose_tag_matches(
    store: TrackingConfig, tmp_path: Path, model_name: str
) -> None:
    def registered(name: str, fingerprint: str) -> int:
        run_id = tracking.log_training_run(store, "als", {}, {}, _model_files(tmp_path / name), {})
        return tracking.register_version(
            store, model_name, run_id, tags={"input_fingerprint": fingerprint}
        )

    registered("v1", "abc")
    second = registered("v2", "abc")
    registered("v3", "def")

    assert tracking.find_version(store, model_name, "input_fingerprint", "abc") == second
    assert tracking.find_version(store, model_name, "input_fingerprint", "xyz") is None


def test_find_run_matches_a_finished_run_carrying_every_tag(store: TrackingConfig) -> None:
    tags = {"role": "holdout", "input_fingerprint": "f-find-run"}
    run_id = tracking.log_training_run(store, "als-holdout", {}, {"ndcg_at_10": 0.3}, None, tags)

    assert tracking.find_run(store, tags) == run_id
    assert tracking.find_run(store, tags | {"role": "serving"}) is None
    assert tracking.run_metrics(store, run_id) == {"ndcg_at_10": 0.3}
