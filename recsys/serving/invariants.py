"""Invariants of a recommendation table, as plain measurements the asset checks judge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RankProblems:
    """Subjects whose ranks are not 1..m or whose scores rise with rank, with a few examples."""

    subjects_with_rank_gaps: int
    subjects_with_unsorted_scores: int
    non_finite_scores: int
    examples: list[int]

    @property
    def ok(self) -> bool:
        return not (
            self.subjects_with_rank_gaps
            or self.subjects_with_unsorted_scores
            or self.non_finite_scores
        )


def rank_problems(table: pd.DataFrame, subject: str, examples: int = 5) -> RankProblems:
    """Ranks contiguous from 1 per subject, scores finite and non-increasing with rank."""
    ordered = table.sort_values([subject, "rank"], kind="mergesort")
    expected = ordered.groupby(subject, sort=False).cumcount() + 1
    gaps = ordered.loc[ordered["rank"].to_numpy() != expected.to_numpy(), subject].unique()
    rising = ordered.groupby(subject, sort=False)["score"].diff() > 1e-6
    unsorted = ordered.loc[rising.to_numpy(), subject].unique()
    non_finite = int((~np.isfinite(ordered["score"].to_numpy(np.float64))).sum())
    bad = pd.unique(np.concatenate([gaps, unsorted]))[:examples]
    return RankProblems(len(gaps), len(unsorted), non_finite, [int(x) for x in bad])


def leaked_rows(table: pd.DataFrame, forbidden: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of `table` whose key pair appears in `forbidden` (e.g. subscribed or read items)."""
    return table.merge(forbidden[keys].drop_duplicates(), on=keys, how="inner")


def coverage(table: pd.DataFrame, subject: str, population: np.ndarray) -> float:
    """Share of the population with at least one row in the table."""
    population = pd.unique(np.asarray(population))
    if len(population) == 0:
        return 1.0
    covered = np.isin(population, table[subject].to_numpy()).sum()
    return float(covered) / len(population)
