"""Data drift between the window a model was trained on and the latest window (Evidently)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# One drifted column of four (e.g. the topic mix alone) is enough to retrain: the columns are few
# and each one moves what the recommender learned.
MAX_DRIFT_SHARE = 0.25
# Evidently's distance methods cost time in the rows they see; a sample of this size keeps the
# check a few seconds at any scale while the distances stay stable to about 0.01.
SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class DriftResult:
    """Share and names of drifted columns, each column's score and method, and the HTML report."""

    drift_share: float
    drifted_columns: list[str]
    scores: dict[str, float]
    methods: dict[str, str]
    report_path: Path
    max_drift_share: float = MAX_DRIFT_SHARE

    @property
    def drifted(self) -> bool:
        return self.drift_share >= self.max_drift_share


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    report_path: Path,
    max_drift_share: float = MAX_DRIFT_SHARE,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 7,
) -> DriftResult:
    """Run Evidently's data drift preset on the shared columns and save its HTML report."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    columns = [column for column in reference.columns if column in current.columns]
    if not columns or reference.empty or current.empty:
        raise ValueError(
            f"drift needs rows on both sides and shared columns: reference {reference.shape}, "
            f"current {current.shape}"
        )
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        current_data=_sample(current[columns], sample_rows, seed),
        reference_data=_sample(reference[columns], sample_rows, seed),
    )
    report_path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(report_path))
    scores, methods, drifted = _column_drift(snapshot.dict())
    return DriftResult(
        drift_share=len(drifted) / len(columns),
        drifted_columns=drifted,
        scores=scores,
        methods=methods,
        report_path=report_path,
        max_drift_share=max_drift_share,
    )


def _column_drift(report: dict) -> tuple[dict[str, float], dict[str, str], list[str]]:
    scores: dict[str, float] = {}
    methods: dict[str, str] = {}
    for metric in report["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
            methods[config["column"]] = str(config.get("method"))
    # A column drifts when its drift test fails: the score crossed its method's threshold.
    drifted = [
        test["metric_config"]["params"]["column"]
        for test in report.get("tests", [])
        if test["metric_config"]["params"].get("type", "").endswith("ValueDrift")
        and str(test["status"]).endswith("FAIL")
    ]
    return scores, methods, sorted(drifted)


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)
