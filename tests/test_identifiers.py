"""One identifier check: every name spliced into SQL, in the warehouse, the analysts' snapshots and
the export, passes the same rule, and a refusal names the bad value."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from recsys.identifiers import checked_identifier, checked_table, quoted
from recsys.publish.export import parse_target
from recsys.publish.snapshots import publish
from recsys.warehouse import read_table, replace_table

BAD_NAMES = ["Upper", "1st", "has space", "x;drop", 'q"uote', "a" * 64, ""]


@pytest.mark.parametrize("name", ["users", "_staging", "user_posts__v12_pkey", "a" * 63])
def test_plain_lowercase_names_of_at_most_63_characters_pass(name: str) -> None:
    assert checked_identifier(name) == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_any_other_name_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValueError) as refused:
        checked_identifier(name)

    assert repr(name) in str(refused.value)


@pytest.mark.parametrize("name", ["marts.user_features", "recommendations.user_posts"])
def test_a_table_is_schema_dot_name_of_two_checked_identifiers(name: str) -> None:
    assert checked_table(name) == name


@pytest.mark.parametrize(
    "name", ["user_features", "a.b.c", "marts.", ".x", "marts.Upper", "marts.x; DROP TABLE y"]
)
def test_anything_else_is_not_a_table_name(name: str) -> None:
    with pytest.raises(ValueError, match=r"not a schema\.table name") as refused:
        checked_table(name)

    assert repr(name) in str(refused.value)


def test_quoting_checks_the_name_first() -> None:
    assert quoted("user_posts") == '"user_posts"'
    with pytest.raises(ValueError, match="'x\"y'"):
        quoted('x"y')


def test_the_warehouse_the_snapshots_and_the_export_refuse_a_bad_name_naming_it(
    tmp_path: Path,
) -> None:
    conn = duckdb.connect()
    frame = pd.DataFrame({"x": [1]})
    attempts = {
        "marts.Scores": lambda: read_table(conn, "marts.Scores"),
        "marts.x; DROP TABLE y": lambda: replace_table(conn, "marts.x; DROP TABLE y", frame),
        "score; DROP": lambda: read_table(conn, "marts.scores", ["score; DROP"]),
        "marts": lambda: publish(conn, ["marts"], tmp_path / "analytics"),
        "Scores": lambda: parse_target("postgresql://db/p?schema=Scores"),
    }

    for bad, attempt in attempts.items():
        with pytest.raises(ValueError) as refused:
            attempt()
        assert repr(bad) in str(refused.value), bad
    assert not (tmp_path / "analytics").exists(), "a refused snapshot writes nothing"
