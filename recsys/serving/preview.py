"""A few rows of a table as a markdown table: what a person checks at a glance in the UI, each
row's subject (reader, creator, post) linking to its page in the service's explorer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from recsys.identifiers import checked_table

if TYPE_CHECKING:
    import duckdb

MAX_CELL = 60
PREVIEW_SUBJECTS = 3
PREVIEW_RANKS = 5
# The explorer's page (service/routes/explore.py) for each kind of subject.
EXPLORER_PAGES = {"user_id": "readers", "creator_id": "creators", "post_id": "posts"}

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
    "feed_creators": (
        "user_id",
        f"SELECT t.user_id, t.rank, c.creator_name AS creator, c.category, t.score "
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


@dataclass(frozen=True)
class Link:
    """A markdown table cell that links `text` to `url`."""

    text: str
    url: str


def explorer_link(explorer_url: str, subject: str, subject_id: int) -> str:
    """The explorer page of a reader (`user_id`), creator (`creator_id`) or post (`post_id`)."""
    return f"{explorer_url.rstrip('/')}/{EXPLORER_PAGES[subject]}/{int(subject_id)}"


def table_preview(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    subjects: int = PREVIEW_SUBJECTS,
    ranks: int = PREVIEW_RANKS,
    explorer_url: str | None = None,
) -> str:
    """The top `ranks` rows of the first `subjects` subjects (by id) of a recommendation table,
    by name and title, as a markdown table. With `explorer_url` (Settings.explorer_url), each
    row's first cell links to its subject's page in the explorer.
    """
    subject, select = PREVIEWS[name]
    table = checked_table(f"{schema}.{name}")
    first = f"SELECT DISTINCT {subject} FROM {table} ORDER BY {subject} LIMIT {int(subjects)}"
    # Every preview SELECT starts with SELECT: the subject's id rides along for the links.
    with_id = select.format(table=table).replace(
        "SELECT ", f"SELECT t.{subject} AS _subject_id, ", 1
    )
    rows = conn.execute(
        f"{with_id} WHERE t.{subject} IN ({first}) AND t.rank <= ? ORDER BY t.{subject}, t.rank",
        [ranks],
    ).df()
    subject_ids = rows.pop("_subject_id")
    if explorer_url is not None:
        shown = rows.columns[0]
        rows[shown] = [
            Link(str(text), explorer_link(explorer_url, subject, subject_id))
            for text, subject_id in zip(rows[shown], subject_ids, strict=True)
        ]
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
    if isinstance(value, Link):
        text = _cell(value.text).replace("[", "\\[").replace("]", "\\]")
        return f"[{text}]({value.url})"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
