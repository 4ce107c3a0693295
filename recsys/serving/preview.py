"""A few rows of a table as a markdown table: what a person checks at a glance in the UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from recsys.identifiers import checked_table

if TYPE_CHECKING:
    import duckdb

MAX_CELL = 60
PREVIEW_SUBJECTS = 3
PREVIEW_RANKS = 5

# What each recommendation table's preview shows: names and titles, not ids. Each entry is the
# subject column and a SELECT over the table aliased `t`.
CREATORS = "staging.stg_creators"
POSTS = "staging.stg_posts"
# The feed and the notifications share their columns, so they preview the same way.
POST_PREVIEW = (
    "user_id",
    f"SELECT t.user_id, t.rank, p.title AS post, c.creator_name AS creator, t.score "
    f"FROM {{table}} t JOIN {POSTS} p USING (post_id) JOIN {CREATORS} c "
    "ON c.creator_id = t.creator_id",
)
PREVIEWS = {
    "user_creators": (
        "user_id",
        f"SELECT t.user_id, t.rank, c.creator_name AS creator, c.category, t.score, t.source "
        f"FROM {{table}} t JOIN {CREATORS} c USING (creator_id)",
    ),
    "user_posts": POST_PREVIEW,
    "notification_candidates": POST_PREVIEW,
    "similar_creators": (
        "creator_id",
        "SELECT s.creator_name AS creator, t.rank, c.creator_name AS similar_creator, "
        "c.category, t.score "
        f"FROM {{table}} t JOIN {CREATORS} s ON s.creator_id = t.creator_id "
        f"JOIN {CREATORS} c ON c.creator_id = t.similar_creator_id",
    ),
    "similar_posts": (
        "post_id",
        f"SELECT s.title AS post, t.rank, p.title AS similar_post, t.score "
        f"FROM {{table}} t JOIN {POSTS} s ON s.post_id = t.post_id "
        f"JOIN {POSTS} p ON p.post_id = t.similar_post_id",
    ),
}


def table_preview(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    subjects: int = PREVIEW_SUBJECTS,
    ranks: int = PREVIEW_RANKS,
) -> str:
    """The top `ranks` rows of the first `subjects` subjects (by id) of a recommendation table,
    by name and title, as a markdown table.
    """
    subject, select = PREVIEWS[name]
    table = checked_table(f"{schema}.{name}")
    first = f"SELECT DISTINCT {subject} FROM {table} ORDER BY {subject} LIMIT {int(subjects)}"
    rows = conn.execute(
        f"{select.format(table=table)} WHERE t.{subject} IN ({first}) AND t.rank <= ? "
        f"ORDER BY t.{subject}, t.rank",
        [ranks],
    ).df()
    return markdown_table(rows)


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
