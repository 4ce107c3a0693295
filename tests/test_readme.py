"""The README documents the landing contract that the code enforces."""

from __future__ import annotations

from pathlib import Path

from recsys.ingest.landing import TABLES

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_contract_column_with_its_type() -> None:
    text = README.read_text()
    for contract in TABLES:
        for column, dtype in contract.columns.items():
            assert f"| {contract.name} | `{column}` | {dtype} |" in text, (contract.name, column)


def test_the_readme_opens_with_the_demo_and_test_commands() -> None:
    first_block = README.read_text().split("```bash", 1)[1].split("```", 1)[0]

    assert "make demo" in first_block
    assert "make test" in first_block


def test_every_image_the_readme_shows_is_in_the_repository() -> None:
    import re

    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README.read_text())

    assert images
    for image in images:
        assert (README.parent / image).is_file(), image
