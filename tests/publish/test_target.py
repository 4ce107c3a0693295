"""Product database URLs: SQLite URLs as SQLAlchemy writes them, the old absolute form refused,
passwords masked in every message."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from support.export_fixtures import build_warehouse

from recsys.publish.export import export_recommendations, mask_url, parse_target, sqlite_url


def test_four_slashes_name_an_absolute_path() -> None:
    target = parse_target("sqlite:////srv/app/product.db")

    assert target.kind == "sqlite"
    assert target.path == Path("/srv/app/product.db")


def test_three_slashes_name_a_path_relative_to_the_current_directory() -> None:
    assert parse_target("sqlite:///product.db").path == Path("product.db")
    assert parse_target("sqlite:///no_such_root_folder/p.db").path == Path(
        "no_such_root_folder/p.db"
    )


def test_the_old_three_slash_form_of_an_absolute_path_is_refused_with_the_right_url() -> None:
    # /tmp exists at the root: this is how the project wrote /tmp/product.db before.
    with pytest.raises(ValueError) as refused:
        parse_target("sqlite:///tmp/product.db")

    message = str(refused.value)
    assert "'sqlite:////tmp/product.db' (four slashes for an absolute path)" in message
    assert "'sqlite:///./tmp/product.db'" in message


def test_a_leading_dot_keeps_a_relative_path_whose_first_folder_exists_at_the_root() -> None:
    assert parse_target("sqlite:///./tmp/product.db").path == Path("tmp/product.db")


def test_a_percent_escape_in_a_sqlite_url_is_read_as_its_character() -> None:
    assert parse_target("sqlite:////srv/my%20product.db").path == Path("/srv/my product.db")


@pytest.mark.parametrize(
    "url", ["sqlite://host/product.db", "sqlite:///", "sqlite://", "sqlite:product.db"]
)
def test_a_sqlite_url_with_a_host_or_without_a_file_is_refused(url: str) -> None:
    with pytest.raises(
        ValueError, match=re.escape("sqlite:////abs/path.db or sqlite:///relative.db")
    ):
        parse_target(url)


def test_a_refused_sqlite_url_is_shown_with_its_password_masked() -> None:
    with pytest.raises(ValueError) as refused:
        parse_target("sqlite:///tmp/product.db?password=hunter2")

    assert "hunter2" not in str(refused.value)
    assert "'sqlite:////tmp/product.db?password=***'" in str(refused.value)


def test_masking_keeps_the_slashes_of_a_sqlite_url() -> None:
    assert mask_url("sqlite:////srv/p.db?password=pw") == "sqlite:////srv/p.db?password=***"
    assert mask_url("sqlite:///p.db?password=pw") == "sqlite:///p.db?password=***"


def test_sqlite_url_writes_an_absolute_path_with_four_slashes_that_parses_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    odd = tmp_path / "a b?#%.db"

    assert sqlite_url(Path("product.db")) == f"sqlite:///{tmp_path}/product.db"
    assert sqlite_url(Path("product.db")).startswith("sqlite:////")
    assert parse_target(sqlite_url(odd)).path == odd


def test_an_export_to_a_relative_sqlite_url_writes_under_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = build_warehouse(tmp_path / "warehouse.duckdb", users=50)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exported_here").mkdir()

    result = export_recommendations(warehouse, "sqlite:///exported_here/product.db")

    assert result.status == "succeeded"
    with sqlite3.connect(tmp_path / "exported_here" / "product.db") as product:
        assert product.execute("SELECT count(*) FROM user_posts").fetchone()[0] > 0
