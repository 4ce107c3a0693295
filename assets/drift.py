"""Feature drift: the latest week of events against the window the champion ALS was trained on."""

import datetime as dt

import dagster as dg

from assets.models import ALS_MODEL, TRAINED_THROUGH_TAG
from assets.support.metadata import rounded, rounded_all
from recsys.monitoring.windows import CURRENT_DAYS, REFERENCE_DAYS
from resources import History, MlflowTracking, ModelStore, Warehouse

STG_EVENTS = dg.AssetKey(["staging", "stg_events"])


@dg.asset_check(
    asset=STG_EVENTS,
    name="feature_drift",
    description=(
        f"Evidently data drift of the event features (topic, event type, dwell, hour) of the "
        f"last {CURRENT_DAYS} days against the {REFERENCE_DAYS} days the champion ALS was trained "
        "on (by default: CREATOR_DISCOVERY_DRIFT_CURRENT_DAYS / _REFERENCE_DAYS). A warning, not a "
        "block: drift is a reason to retrain, which the drift sensor starts."
    ),
)
def feature_drift(
    warehouse: Warehouse, mlflow: MlflowTracking, model_store: ModelStore, history: History
) -> dg.AssetCheckResult:
    from recsys.models.tracking import champion, log_training_run
    from recsys.monitoring.drift import drift_report
    from recsys.monitoring.windows import drift_windows, read_window
    from recsys.warehouse import latest_event_at

    record = champion(mlflow.config, ALS_MODEL)
    if record is None or TRAINED_THROUGH_TAG not in record.tags:
        return _no_drift("no champion yet: nothing to compare against")
    trained_through = dt.datetime.fromisoformat(record.tags[TRAINED_THROUGH_TAG])
    with warehouse.connect(read_only=True) as conn:
        windows = drift_windows(
            trained_through,
            latest_event_at(conn),
            reference_days=history.drift_reference_days,
            current_days=history.drift_current_days,
        )
        if windows is None:
            return _no_drift(f"no events after {trained_through}, when the champion was trained")
        reference, reference_events = read_window(
            conn, windows.reference_start, windows.trained_through
        )
        current, current_events = read_window(conn, windows.current_start, windows.latest)
    latest = windows.latest
    result = drift_report(reference, current, model_store.artifacts.drift_report_path(latest))
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
            "drift_share": rounded(result.drift_share),
            "drifted_columns": ", ".join(result.drifted_columns) or "none",
            "scores": dg.MetadataValue.json(rounded_all(result.scores)),
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
