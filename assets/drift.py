"""Feature drift: the latest week of events against the window the champion ALS was trained on."""

import datetime as dt
from typing import TYPE_CHECKING

import dagster as dg

from assets.models import ALS_MODEL, TRAINED_THROUGH_TAG
from recsys.monitoring.drift import SAMPLE_ROWS
from resources import MlflowTracking, ModelStore, Warehouse

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

STG_EVENTS = dg.AssetKey(["staging", "stg_events"])
REFERENCE_DAYS = 14
CURRENT_DAYS = 7
DRIFT_FEATURES = """
    SELECT c.category, e.event_type, e.dwell_seconds, hour(e.event_at) AS hour_of_day
    FROM staging.stg_events AS e JOIN staging.stg_creators AS c USING (creator_id)
    WHERE e.event_at > ? AND e.event_at <= ?
"""
# DuckDB draws the report's sample while it scans: a window of a large platform (17M events in
# three weeks) would take most of the check's time to reach pandas, only to be sampled there.
SAMPLED_DRIFT_FEATURES = (
    f"SELECT * FROM ({DRIFT_FEATURES}) USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (7)"
)
WINDOW_EVENTS = "SELECT count(*) FROM staging.stg_events WHERE event_at > ? AND event_at <= ?"


def read_window(
    conn: "duckdb.DuckDBPyConnection", start: dt.datetime, end: dt.datetime
) -> "tuple[pd.DataFrame, int]":
    """Drift features of at most SAMPLE_ROWS events in (start, end], and the window's size."""
    events = conn.execute(WINDOW_EVENTS, [start, end]).fetchone()
    return conn.execute(SAMPLED_DRIFT_FEATURES, [start, end]).df(), int(events[0] if events else 0)


@dg.asset_check(
    asset=STG_EVENTS,
    name="feature_drift",
    description=(
        f"Evidently data drift of the event features (topic, event type, dwell, hour) of the "
        f"last {CURRENT_DAYS} days against the {REFERENCE_DAYS} days the champion ALS was trained "
        "on. A warning, not a block: drift is a reason to retrain, which the drift sensor starts."
    ),
)
def feature_drift(
    warehouse: Warehouse, mlflow: MlflowTracking, model_store: ModelStore
) -> dg.AssetCheckResult:
    from recsys.models.tracking import champion, log_training_run
    from recsys.monitoring.drift import drift_report

    record = champion(mlflow.config, ALS_MODEL)
    if record is None or TRAINED_THROUGH_TAG not in record.tags:
        return _no_drift("no champion yet: nothing to compare against")
    trained_through = dt.datetime.fromisoformat(record.tags[TRAINED_THROUGH_TAG])
    with warehouse.connect(read_only=True) as conn:
        latest = conn.execute("SELECT max(event_at) FROM staging.stg_events").fetchone()[0]
        if latest is None or latest <= trained_through:
            return _no_drift(f"no events after {trained_through}, when the champion was trained")
        reference_start = trained_through - dt.timedelta(days=REFERENCE_DAYS)
        current_start = max(latest - dt.timedelta(days=CURRENT_DAYS), trained_through)
        reference, reference_events = read_window(conn, reference_start, trained_through)
        current, current_events = read_window(conn, current_start, latest)
    stamp = latest.strftime("%Y%m%dT%H%M%S")
    result = drift_report(reference, current, model_store.folder("drift") / f"drift-{stamp}.html")
    log_training_run(
        mlflow.config,
        "feature-drift",
        {"reference_end": trained_through, "current_end": latest, "champion": record.version},
        {"drift_share": result.drift_share},
        result.report_path.parent,
        {"role": "drift"},
        artifact_path="drift",
    )
    return dg.AssetCheckResult(
        passed=not result.drifted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "drift_share": result.drift_share,
            "drifted_columns": ", ".join(result.drifted_columns) or "none",
            "scores": dg.MetadataValue.json(result.scores),
            "report": dg.MetadataValue.path(str(result.report_path)),
            "champion_version": record.version,
            "reference_rows": len(reference),
            "current_rows": len(current),
            "reference_window_events": reference_events,
            "current_window_events": current_events,
        },
    )


def _no_drift(reason: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"skipped": reason})
