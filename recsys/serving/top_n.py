"""Top-n per group: the one ranking rule every recommendation table follows."""

from __future__ import annotations

import pandas as pd


def top_n_per_group(
    candidates: pd.DataFrame, group: str, item: str, n: int, score: str = "score"
) -> pd.DataFrame:
    """Best n rows per group by score (ties: smaller item id first), with rank 1..m contiguous.

    One row per (group, item) is kept, the best-scored one, so a candidate reached twice (e.g. a
    post of two recommended creators) cannot take two ranks.
    """
    ordered = candidates.sort_values(
        [group, score, item], ascending=[True, False, True], kind="mergesort"
    ).drop_duplicates([group, item], keep="first")
    ranks = ordered.groupby(group, sort=False).cumcount() + 1
    ranked = ordered.assign(rank=ranks.astype("int32"))
    return ranked[ranked["rank"] <= n].reset_index(drop=True)
