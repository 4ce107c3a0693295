"""Small PNG plots for Dagster metadata, which has no plot type: embedded as Markdown data URIs."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import pandas as pd

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Neutral colours, so baselines do not look like one more model metric.
BASELINE_COLORS = ("grey", "black", "tab:brown")


def metric_history_png(
    history: pd.DataFrame,
    metrics: list[str],
    baseline: Mapping[str, float] | None = None,
    title: str = "Holdout quality by model version",
) -> bytes:
    """Line plot of metrics across model versions (a `version` column), with baseline levels dashed.

    `baseline` maps a label (e.g. "popularity", "oracle") to a level on the same axis, so it is
    meant for plotting one metric against its floor and ceiling.
    """
    # Figure without pyplot: no global figure registry and no backend switch, so it is safe in a
    # Dagster step or thread; savefig renders with Agg.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.subplots()
    for metric in metrics:
        axes.plot(history["version"], history[metric], marker="o", label=metric)
    for i, (label, level) in enumerate((baseline or {}).items()):
        color = BASELINE_COLORS[i % len(BASELINE_COLORS)]
        axes.axhline(level, linestyle="--", linewidth=1, color=color, label=label)
    if history.empty:
        axes.text(0.5, 0.5, "no model versions yet", ha="center", transform=axes.transAxes)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("model version")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    if metrics or baseline:
        axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    buffer = io.BytesIO()
    # No Software/date metadata, so the same history renders to the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def png_markdown(png: bytes, alt: str) -> str:
    """Markdown image with the PNG inlined as a base64 data URI (for MetadataValue.md)."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG: the data URI would render as a broken image")
    encoded = base64.b64encode(png).decode("ascii")
    return f"![{alt}](data:image/png;base64,{encoded})"


def trials_png(trials: pd.DataFrame, default_score: float, metric: str) -> bytes:
    """Each search trial's validation score (a `number` and a `score` column), the best so far as
    a line, and the defaults' score dashed."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.subplots()
    if not trials.empty:
        axes.plot(trials["number"], trials["score"], "o", label="trial")
        axes.plot(trials["number"], trials["score"].cummax(), drawstyle="steps-post", label="best")
        axes.axhline(default_score, linestyle="--", linewidth=1, color="grey", label="defaults")
        axes.legend(fontsize=8, loc="best")
    else:
        axes.text(0.5, 0.5, "no trials ran", ha="center", transform=axes.transAxes)
    axes.set_xlabel("trial")
    axes.set_ylabel(metric)
    axes.set_title(f"Search trials: validation {metric}", fontsize=10)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def served_quality_png(
    history: pd.DataFrame, metrics: tuple[str, ...] = ("ndcg", "hit_rate")
) -> bytes:
    """One panel per metric across days (`day`): each served table (`table_name`) as a line, its
    popularity baseline (`popularity_<metric>`) dashed in the same colour."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 2.4 * len(metrics)), dpi=100)
    panels = figure.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    tables = sorted(history["table_name"].unique()) if not history.empty else []
    for axes, metric in zip(panels, metrics, strict=True):
        for i, table in enumerate(tables):
            rows = history[history["table_name"] == table].sort_values("day")
            days = pd.to_datetime(rows["day"])
            color = f"C{i}"
            axes.plot(days, rows[metric], marker="o", markersize=3, color=color, label=table)
            axes.plot(
                days,
                rows[f"popularity_{metric}"],
                linestyle="--",
                linewidth=1,
                color=color,
                label=f"{table}: popularity",
            )
        axes.set_ylabel(metric, fontsize=8)
        axes.grid(alpha=0.3)
    if tables:
        panels[0].legend(fontsize=7, loc="best")
    else:
        panels[0].text(0.5, 0.5, "no day scored yet", ha="center", transform=panels[0].transAxes)
    panels[0].set_title("Served lists judged by their day's reading", fontsize=10)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def importances_png(
    importances: pd.Series, title: str = "Feature importance (share of gain)"
) -> bytes:
    """Horizontal bars of each feature's importance (a Series indexed by feature), largest on
    top."""
    from matplotlib.figure import Figure

    shown = importances.sort_values()
    figure = Figure(figsize=(6, 0.22 * max(len(shown), 4) + 0.8), dpi=100)
    axes = figure.subplots()
    if shown.empty:
        axes.text(0.5, 0.5, "no features", ha="center", transform=axes.transAxes)
    else:
        axes.barh(list(shown.index), shown.to_numpy(), color="tab:blue")
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3, axis="x")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
