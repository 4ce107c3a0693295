"""A few rows of a table as a markdown table: what a person checks at a glance in the UI."""

from __future__ import annotations

import pandas as pd

MAX_CELL = 60


def markdown_table(frame: pd.DataFrame) -> str:
    """`frame` as a GitHub markdown table; floats to 3 decimals, long text cut, pipes escaped."""
    header = "| " + " | ".join(str(column) for column in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(_cell(value) for value in row) + " |" for row in frame.itertuples(False)
    ]
    return "\n".join([header, rule, *rows])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
