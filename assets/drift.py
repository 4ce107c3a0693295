"""Drift of the data the champion serves on: the latest week of events against the window the
champion ALS was trained on, as event features (feature_drift) and as each reader's topic mix
(taste_drift)."""

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


@dg.asset_check(
    asset=STG_EVENTS,
    name="taste_drift",
    description=(
        "Per-reader taste drift: the Jensen-Shannon divergence of each reader's topic mix in the "
        f"last {CURRENT_DAYS} days from their mix in the {REFERENCE_DAYS} days the champion ALS "
        "was trained on (readers with enough events in both). Fails when the share of readers "
        "past the divergence threshold exceeds a control's (the same windows, ending when the "
        "training data ends) by more than the allowed increase (CREATOR_DISCOVERY_TASTE_*). "
        "Catches readers swapping tastes while the overall topic mix stays put. A warning: the "
        "drift sensor starts the retrain."
    ),
)
def taste_drift(
    warehouse: Warehouse, mlflow: MlflowTracking, history: History
) -> dg.AssetCheckResult:
    from recsys.models.tracking import champion, log_training_run
    from recsys.monitoring.taste import TasteRule
    from recsys.monitoring.taste import taste_drift as measure
    from recsys.monitoring.windows import drift_windows
    from recsys.warehouse import latest_event_at

    record = champion(mlflow.config, ALS_MODEL)
    if record is None or TRAINED_THROUGH_TAG not in record.tags:
        return _no_drift("no champion yet: nothing to compare against")
    trained_through = dt.datetime.fromisoformat(record.tags[TRAINED_THROUGH_TAG])
    rule = TasteRule(
        divergence_threshold=history.taste_divergence,
        max_share_increase=history.taste_max_share_increase,
    )
    with warehouse.connect(read_only=True) as conn:
        windows = drift_windows(
            trained_through,
            latest_event_at(conn),
            reference_days=history.drift_reference_days,
            current_days=history.drift_current_days,
        )
        if windows is None:
            return _no_drift(f"no events after {trained_through}, when the champion was trained")
        drift = measure(conn, windows, rule)
    figures = {
        "share_above_threshold": drift.share_above,
        "control_share_above_threshold": drift.control_share,
        "median_divergence": drift.median_divergence,
        "overall_topic_divergence": drift.overall_divergence,
        "readers_judged": float(drift.readers_judged),
        "control_readers": float(drift.control_readers),
    }
    log_training_run(
        mlflow.config,
        "taste-drift",
        {"reference_end": trained_through, "current_end": windows.latest} | rule.__dict__,
        figures,
        tags={"role": "drift", "champion": str(record.version)},
    )
    reason = (
        f"{drift.share_above:.1%} of {drift.readers_judged} readers moved past "
        f"{rule.divergence_threshold:g} bits, against {drift.baseline:.1%} in the control"
        if drift.judged
        else f"{drift.readers_judged} readers judged, fewer than {rule.min_readers}: not judged"
    )
    return dg.AssetCheckResult(
        passed=not drift.drifted,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "reason": reason,
            **rounded_all(figures),
            "readers_judged": drift.readers_judged,
            "control_readers": drift.control_readers,
            "divergence_threshold": rule.divergence_threshold,
            "max_share_increase": rule.max_share_increase,
            "min_events_per_window": rule.min_events,
            "champion_version": record.version,
            "current_window": f"{windows.current_start} .. {windows.latest}",
            "reference_window": f"{windows.reference_start} .. {windows.trained_through}",
        },
    )


def _no_drift(reason: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"skipped": reason})
