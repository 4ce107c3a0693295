"""Monitoring: what readers were served each day, judged by what they read that day."""

import datetime as dt

import dagster as dg

from assets.exports import product_database_export
from assets.support.constants import OWNER, SERVED_QUALITY
from assets.support.metadata import rounded
from recsys.monitoring.served_quality import ScoringParams
from resources import History, MlflowTracking, Warehouse

SERVED_HISTORY_KEY = dg.AssetKey(["exports", "served_history"])
_SCORING = ScoringParams()


@dg.asset(
    key=SERVED_HISTORY_KEY,
    group_name="exports",
    kinds={"duckdb"},
    owners=[OWNER],
    deps=[product_database_export],
    description=(
        "What each reader was served, kept by day: after every export, the top 10 of "
        "user_creators, user_posts and notification_candidates (as exported) under the day they "
        "start serving, the day after the data's latest event. Served quality judges these, not "
        "a refit. Above 50,000 readers a stable panel of them is kept; 120 days are kept."
    ),
)
def served_history(warehouse: Warehouse) -> dg.MaterializeResult:
    from recsys.monitoring.served import SERVED_HISTORY, keep_served, serving_day
    from recsys.warehouse import latest_event_at

    with warehouse.connect() as conn:
        as_of = latest_event_at(conn)
        if as_of is None:
            raise dg.Failure("no staged events: nothing has been served yet")
        copy = keep_served(conn, serving_day(as_of))
        [(days,)] = conn.execute(
            f"SELECT count(DISTINCT served_on) FROM {SERVED_HISTORY}"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "served_on": copy.served_on.isoformat(),
            "rows": dg.MetadataValue.json(copy.rows),
            "dagster/row_count": sum(copy.rows.values()),
            "panel_share": rounded(copy.panel_share),
            "serving_days_kept": int(days),
        }
    )


class ScoringConfig(dg.Config):
    """The cutoff and the popularity window (defaults: recsys.monitoring.served_quality)."""

    k: int = _SCORING.k
    popularity_days: int = _SCORING.popularity_days


BAND_CHECK = dg.AssetCheckSpec(
    "served_quality_band",
    asset=SERVED_QUALITY,
    description=(
        "Fails when a table's nDCG@10 on the day falls below its trailing band: the mean over the "
        "scored days of the trailing two weeks minus three spreads, a spread being at least 5% of "
        "the mean (CREATOR_DISCOVERY_SERVED_QUALITY_TRAILING_DAYS / _BAND_WIDTH; "
        "recsys/monitoring/band.py). "
        "A warning, not a block: the drift sensor starts the retrain."
    ),
)


def build_served_quality(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The daily served-quality asset over the event partitions, with its trailing-band check
    (judged in the same step, on the day just recorded)."""

    @dg.asset(
        key=SERVED_QUALITY,
        group_name="monitoring",
        kinds={"python", "duckdb", "mlflow"},
        owners=[OWNER],
        partitions_def=partitions,
        check_specs=[BAND_CHECK],
        deps=[
            SERVED_HISTORY_KEY,
            ["staging", "stg_events"],
            ["staging", "stg_posts"],
            ["staging", "stg_subscriptions"],
        ],
        description=(
            "Per day: the lists each reader table served that day (exports/served_history), "
            "judged by what readers read that day: hit rate and nDCG@10, beside the popularity "
            "list that would have served at the same moment, on the same readers. Kept in "
            "monitoring.served_quality, plotted across days and logged to MLflow."
        ),
    )
    def served_quality(
        context: dg.AssetExecutionContext,
        config: ScoringConfig,
        warehouse: Warehouse,
        mlflow: MlflowTracking,
        history: History,
    ) -> dg.MaterializeResult:
        from recsys.monitoring.band import QualityBand, judge_day
        from recsys.monitoring.served_quality import quality_history, record_day, score_day
        from recsys.plots import png_markdown, served_quality_png
        from recsys.warehouse import latest_event_at

        day = dt.date.fromisoformat(context.partition_key)
        params = ScoringParams(config.k, config.popularity_days, history.fresh_post_days)
        with warehouse.connect() as conn:
            latest = latest_event_at(conn)
            if latest is None or latest.date() < day:
                raise dg.Failure(f"{day} has no staged events yet (latest: {latest})")
            scores = score_day(conn, day, params)
            record_day(conn, day, scores)
            every_day = quality_history(conn)
        if scores.empty:
            context.log.info(f"Nothing was served on {day} yet: no list to judge")
        band = QualityBand(
            trailing_days=history.served_quality_trailing_days,
            width=history.served_quality_band_width,
            metric="ndcg",
        )
        verdicts = judge_day(every_day, day, band)
        plot = served_quality_png(every_day)
        run_id = _log_day(mlflow, day, scores, params)
        return dg.MaterializeResult(
            check_results=[_band_result(verdicts)],
            metadata={
                **_figures(scores),
                "served_on": str(scores["served_on"].iloc[0]) if len(scores) else "nothing served",
                "dagster/row_count": len(scores),
                "days_scored": int(every_day["day"].nunique()),
                "quality_over_days": dg.MetadataValue.md(
                    png_markdown(plot, "served quality by day")
                ),
                "mlflow_run": dg.MetadataValue.url(_run_url(mlflow, run_id)) if run_id else "",
            },
        )

    return served_quality


def _band_result(verdicts) -> dg.AssetCheckResult:
    failed = [verdict.table for verdict in verdicts if not verdict.passed]
    return dg.AssetCheckResult(
        check_name=BAND_CHECK.name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "tables_below_band": ", ".join(failed) or "none",
            "tables_judged": sum(verdict.judged for verdict in verdicts),
            "reason": dg.MetadataValue.md(
                "\n".join(f"- `{v.table}`: {v.reason}" for v in verdicts) or "nothing scored"
            ),
            **{f"{v.table}_lower_edge": rounded(v.lower) for v in verdicts},
        },
    )


def _figures(scores) -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    for row in scores.itertuples():
        figures[f"{row.table_name}_readers_judged"] = int(row.readers_judged)
        for metric in ("hit_rate", "ndcg", "popularity_hit_rate", "popularity_ndcg"):
            figures[f"{row.table_name}_{metric}"] = rounded(getattr(row, metric))
    return figures


def _log_day(mlflow: MlflowTracking, day: dt.date, scores, params: ScoringParams) -> str | None:
    """One MLflow run per scored day; a day scored again to the same figures keeps its run."""
    from recsys.models.fingerprint import FINGERPRINT_TAG, fingerprint
    from recsys.models.tracking import find_run, log_dated_run

    if scores.empty:
        return None
    tags = {
        "role": "served_quality",
        "served_day": day.isoformat(),
        FINGERPRINT_TAG: fingerprint(scores, params.__dict__, "served-quality-1"),
    }
    reused = find_run(mlflow.config, tags)
    if reused is not None:
        return reused
    metrics = {
        name: float(value)
        for name, value in _figures(scores).items()
        if not (isinstance(value, float) and value != value)
    }
    return log_dated_run(
        mlflow.config,
        "served-quality",
        day,
        params.__dict__ | {"served_on": str(scores["served_on"].iloc[0])},
        metrics,
        tags,
    )


def _run_url(mlflow: MlflowTracking, run_id: str) -> str:
    from recsys.models.tracking import run_url

    return run_url(mlflow.config, run_id, mlflow.ui_url)
