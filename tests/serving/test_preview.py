"""Previews in asset metadata read as markdown tables whose subjects link to the explorer."""

import duckdb
import pandas as pd

from recsys.serving.preview import markdown_table, table_preview
from recsys.settings import SERVE_HOST_VAR, SERVE_PORT_VAR, Settings

EXPLORER = "http://127.0.0.1:8000/explore"


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


def test_each_preview_row_links_its_subject_to_the_explorer_page() -> None:
    conn = warehouse_with_similar_creators()

    preview = table_preview(
        conn, "recommendations", "similar_creators", subjects=2, ranks=1, explorer_url=EXPLORER
    )

    assert preview.splitlines()[2:] == [
        f"| [Creator 1]({EXPLORER}/creators/1) | 1 | Creator 2 | topic0 | 0.500 |",
        f"| [Creator 2]({EXPLORER}/creators/2) | 1 | Creator 1 | topic1 | 0.500 |",
    ]


def test_a_reader_table_preview_links_each_row_to_that_readers_page() -> None:
    conn = warehouse_with_similar_creators()
    conn.execute(
        "CREATE TABLE recommendations.user_creators AS SELECT * FROM (VALUES "
        "(7, 3, 1, 0.9, 'als'), (7, 1, 2, 0.8, 'als'), (42, 2, 1, 0.7, 'popular_and_fresh')) "
        "t(user_id, creator_id, rank, score, source)"
    )

    preview = table_preview(conn, "recommendations", "user_creators", explorer_url=EXPLORER)

    first_cells = [line.split(" | ")[0] for line in preview.splitlines()[2:]]
    assert first_cells == [
        f"| [7]({EXPLORER}/readers/7)",
        f"| [7]({EXPLORER}/readers/7)",
        f"| [42]({EXPLORER}/readers/42)",
    ]


def test_link_text_cannot_break_the_link_or_the_table() -> None:
    from recsys.serving.preview import Link

    frame = pd.DataFrame({"post": [Link("a [draft] | b", f"{EXPLORER}/posts/5")]})

    assert markdown_table(frame).splitlines()[2] == (
        f"| [a \\[draft\\] \\| b]({EXPLORER}/posts/5) |"
    )


def test_the_explorer_url_follows_the_serve_host_and_port() -> None:
    assert Settings.from_env({}).explorer_url == EXPLORER
    custom = Settings.from_env({SERVE_HOST_VAR: "10.0.0.5", SERVE_PORT_VAR: "9000"})
    assert custom.explorer_url == "http://10.0.0.5:9000/explore"
    # Bound to every address, the service is reached on loopback from this machine.
    assert Settings.from_env({SERVE_HOST_VAR: "0.0.0.0"}).explorer_url == EXPLORER
    assert Settings.from_env({SERVE_HOST_VAR: "::"}).explorer_url == "http://[::1]:8000/explore"
