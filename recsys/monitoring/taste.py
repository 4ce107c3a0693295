"""Taste drift: how far each reader's recent topic mix moved from their mix at training time.

A reader's topic mix is the share of their events on each topic (their creators' categories) in a
window. Readers with at least `min_events` events in both the reference window (the days the
champion learned from) and the current one (the latest days) are judged; each gets the
Jensen-Shannon divergence of their two mixes, in bits (0: the same mix, 1: no topic in common).
The signal is the share of judged readers above `divergence_threshold`.

Part of that share is noise (a reader with ten events never shows their exact mix) and part is
how tastes always wander, both of which differ between platforms. So the same share is measured
on a control: windows of the same lengths that end when the champion's training data ends, where
the model saw everything. Drift is a share above the control's by more than `max_share_increase`.
Without enough readers in the control (a short history), the share is judged against zero.

The overall topic mix can stay put while every reader's moves (readers swapping tastes): the
divergence of the overall mixes is reported beside the per-reader signal, which catches that case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.settings import DEFAULT_TASTE_DIVERGENCE, DEFAULT_TASTE_MAX_SHARE_INCREASE

if TYPE_CHECKING:
    import duckdb

    from recsys.monitoring.windows import DriftWindows

TOPIC_COUNTS = """
    SELECT e.user_id, c.category AS topic, count(*) AS events
    FROM staging.stg_events AS e JOIN staging.stg_creators AS c USING (creator_id)
    WHERE e.event_at > ? AND e.event_at <= ?
    GROUP BY ALL
"""


@dataclass(frozen=True)
class TasteRule:
    """When per-reader taste drift fails (see the module docstring). On the small generated
    platform with ten events per window, noise alone puts 3-5% of readers above 0.2 bits and a
    topic_shift puts 99% there."""

    divergence_threshold: float = DEFAULT_TASTE_DIVERGENCE
    max_share_increase: float = DEFAULT_TASTE_MAX_SHARE_INCREASE
    min_events: int = 10
    min_readers: int = 50


@dataclass(frozen=True)
class TasteDrift:
    """The share of judged readers whose topic mix moved past the threshold, and its control."""

    readers_judged: int
    share_above: float
    median_divergence: float
    control_readers: int
    control_share: float
    overall_divergence: float
    rule: TasteRule

    @property
    def judged(self) -> bool:
        return self.readers_judged >= self.rule.min_readers

    @property
    def baseline(self) -> float:
        """The control's share, or zero when the control judged too few readers."""
        return self.control_share if self.control_readers >= self.rule.min_readers else 0.0

    @property
    def drifted(self) -> bool:
        return self.judged and self.share_above - self.baseline > self.rule.max_share_increase


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence in bits between matching rows of two distributions."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    m = (p + q) / 2.0
    return 0.5 * _kl_bits(p, m) + 0.5 * _kl_bits(q, m)


def reader_divergence(reference: pd.DataFrame, current: pd.DataFrame, min_events: int) -> pd.Series:
    """Each reader's topic-mix divergence between two windows of (user_id, topic, events) counts,
    for readers with at least `min_events` events in both; indexed by user_id.

    Computed over the (reader, topic) pairs present, never a dense readers x topics matrix, so a
    million readers cost their rows only.
    """
    before = _shares(reference, min_events)
    after = _shares(current, min_events)
    readers = np.intersect1d(before["user_id"].unique(), after["user_id"].unique())
    pairs = before[before["user_id"].isin(readers)].merge(
        after[after["user_id"].isin(readers)],
        on=["user_id", "topic"],
        how="outer",
        suffixes=("_before", "_after"),
    )
    p = pairs["share_before"].fillna(0.0).to_numpy(np.float64)
    q = pairs["share_after"].fillna(0.0).to_numpy(np.float64)
    m = (p + q) / 2.0
    terms = 0.5 * _kl_terms(p, m) + 0.5 * _kl_terms(q, m)
    divergence = pd.Series(terms).groupby(pairs["user_id"].to_numpy()).sum()
    return divergence.reindex(readers).rename("divergence").rename_axis("user_id")


def summarise(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    control_reference: pd.DataFrame,
    control_current: pd.DataFrame,
    rule: TasteRule = TasteRule(),
) -> TasteDrift:
    """The taste drift of `current` against `reference`, beside the control pair's."""
    divergence = reader_divergence(reference, current, rule.min_events)
    control = reader_divergence(control_reference, control_current, rule.min_events)
    overall = js_divergence(_overall_mix(reference, current), _overall_mix(current, reference))
    return TasteDrift(
        readers_judged=len(divergence),
        share_above=_share_above(divergence, rule.divergence_threshold),
        median_divergence=float(divergence.median()) if len(divergence) else float("nan"),
        control_readers=len(control),
        control_share=_share_above(control, rule.divergence_threshold),
        overall_divergence=float(overall[0]),
        rule=rule,
    )


def topic_counts(
    conn: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """(user_id, topic, events) over the events in (start, end]."""
    return conn.execute(TOPIC_COUNTS, [start, end]).df()


def taste_drift(
    conn: duckdb.DuckDBPyConnection, windows: DriftWindows, rule: TasteRule = TasteRule()
) -> TasteDrift:
    """Taste drift between the drift windows, with a control of the same window lengths ending
    when the champion's training data ends."""
    reference_span = windows.trained_through - windows.reference_start
    current_span = windows.latest - windows.current_start
    control_split = windows.trained_through - current_span
    return summarise(
        topic_counts(conn, windows.reference_start, windows.trained_through),
        topic_counts(conn, windows.current_start, windows.latest),
        topic_counts(conn, control_split - reference_span, control_split),
        topic_counts(conn, control_split, windows.trained_through),
        rule,
    )


def _shares(counts: pd.DataFrame, min_events: int) -> pd.DataFrame:
    """(user_id, topic, share) of the readers with at least `min_events` events."""
    per_topic = counts.groupby(["user_id", "topic"], as_index=False)["events"].sum()
    totals = per_topic.groupby("user_id")["events"].transform("sum")
    kept = per_topic[totals >= max(min_events, 1)]
    return kept.assign(share=kept["events"] / totals[kept.index])[["user_id", "topic", "share"]]


def _overall_mix(counts: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """The window's share of events per topic, over the topics of both windows (one row)."""
    topics = sorted(set(counts["topic"]) | set(other["topic"]))
    totals = counts.groupby("topic")["events"].sum().reindex(topics, fill_value=0)
    total = totals.sum()
    return (totals / total if total else totals).to_numpy(np.float64)[None, :]


def _share_above(divergence: pd.Series, threshold: float) -> float:
    return float((divergence > threshold).mean()) if len(divergence) else float("nan")


def _kl_bits(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    return _kl_terms(p, m).sum(axis=-1)


def _kl_terms(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log2(p / m), 0.0)
