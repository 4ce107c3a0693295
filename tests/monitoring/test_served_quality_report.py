"""How served quality is reported: a plot across days, and MLflow runs laid along time."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

from recsys.models import tracking
from recsys.models.tracking import TrackingConfig
from recsys.plots import PNG_SIGNATURE, served_quality_png


def scored_days(days: int) -> pd.DataFrame:
    first = dt.date(2026, 9, 15)
    return pd.DataFrame(
        [
            {
                "day": first + dt.timedelta(days=i),
                "table_name": table,
                "hit_rate": 0.4 - 0.01 * i,
                "ndcg": 0.2 - 0.005 * i,
                "popularity_hit_rate": 0.2,
                "popularity_ndcg": 0.08,
            }
            for i in range(days)
            for table in ("user_creators", "user_posts")
        ]
    )


def test_the_plot_has_a_panel_per_metric_across_days() -> None:
    from matplotlib.image import imread

    png = served_quality_png(scored_days(7))

    assert png.startswith(PNG_SIGNATURE)
    height, width = imread(io.BytesIO(png), format="png").shape[:2]
    assert (height, width) == (480, 700)


def test_the_plot_draws_before_any_day_is_scored() -> None:
    empty = scored_days(0).reindex(columns=scored_days(1).columns)

    assert served_quality_png(empty).startswith(PNG_SIGNATURE)


def test_a_days_run_carries_its_figures_at_that_day_on_the_time_axis(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    store = TrackingConfig.local(tmp_path / "mlflow")
    day = dt.date(2026, 9, 20)

    run_id = tracking.log_dated_run(
        store, "served-quality", day, {"k": 10}, {"user_creators_ndcg": 0.2}, {"role": "served"}
    )

    client = MlflowClient(tracking_uri=store.tracking_uri)
    [metric] = client.get_metric_history(run_id, "user_creators_ndcg")
    assert metric.value == 0.2
    assert metric.step == (day - dt.date(1970, 1, 1)).days
    midnight = dt.datetime.combine(day, dt.time(), dt.UTC)
    assert metric.timestamp == int(midnight.timestamp() * 1000)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"k": "10"} and run.data.tags["role"] == "served"
