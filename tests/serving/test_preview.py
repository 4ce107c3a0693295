"""Previews in asset metadata read as markdown tables."""

import pandas as pd

from recsys.serving.preview import markdown_table


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
