"""Previews in asset metadata read as markdown tables."""

import duckdb
import pandas as pd

from recsys.serving.preview import markdown_table, table_preview


def test_a_frame_becomes_a_markdown_table() -> None:
    frame = pd.DataFrame({"user_id": [1, 1], "creator": ["Ada", "Bo"], "score": [0.91234, 0.5]})

    assert markdown_table(frame).splitlines() == [
        "| user_id | creator | score |",
        "|---|---|---|",
        "| 1 | Ada | 0.912 |",
        "| 1 | Bo | 0.500 |",
    ]


def test_cells_cannot_break_the_table() -> None:
    frame = pd.DataFrame({"title": ["a | b\nc", "x" * 100]})

    rows = markdown_table(frame).splitlines()[2:]

    assert rows[0] == "| a \\| b c |"
    assert len(rows[1]) < 70 and rows[1].endswith("… |")


def warehouse_with_similar_creators() -> duckdb.DuckDBPyConnection:
    """Creators 1..5 and, for each of creators 1..4, the other four ranked by id distance."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA staging")
    conn.execute("CREATE SCHEMA recommendations")
    conn.execute(
        "CREATE TABLE staging.stg_creators AS SELECT i AS creator_id, "
        "'Creator ' || i AS creator_name, 'topic' || (i % 2) AS category FROM range(1, 6) r(i)"
    )
    conn.execute(
        "CREATE TABLE recommendations.similar_creators AS "
        "SELECT a.i AS creator_id, b.i AS similar_creator_id, "
        "CAST(row_number() OVER (PARTITION BY a.i ORDER BY abs(a.i - b.i), b.i) AS INT) AS rank, "
        "1.0 / (1 + abs(a.i - b.i)) AS score "
        "FROM range(1, 5) a(i), range(1, 6) b(i) WHERE a.i <> b.i"
    )
    return conn


def test_a_table_preview_shows_the_first_subjects_top_rows_by_name() -> None:
    conn = warehouse_with_similar_creators()

    preview = table_preview(conn, "recommendations", "similar_creators", subjects=2, ranks=3)

    lines = preview.splitlines()
    assert lines[0] == "| creator | rank | similar_creator | category | score |"
    assert lines[2:] == [
        "| Creator 1 | 1 | Creator 2 | topic0 | 0.500 |",
        "| Creator 1 | 2 | Creator 3 | topic1 | 0.333 |",
        "| Creator 1 | 3 | Creator 4 | topic0 | 0.250 |",
        "| Creator 2 | 1 | Creator 1 | topic1 | 0.500 |",
        "| Creator 2 | 2 | Creator 3 | topic1 | 0.500 |",
        "| Creator 2 | 3 | Creator 4 | topic0 | 0.333 |",
    ]
