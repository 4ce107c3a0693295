"""The PostgreSQL export refuses system schemas and an empty ?schema=, masking the password."""

from __future__ import annotations

import pytest

from recsys.publish.export.target import parse_target

BASE = "postgresql://writer:s3cret@127.0.0.1:5432/test"


@pytest.mark.parametrize(
    "schema",
    ["information_schema", "INFORMATION_SCHEMA", "pg_catalog", "pg_toast", "pg_temp_3", "PG_x", ""],
)
def test_a_system_or_empty_schema_is_refused_without_leaking_the_password(schema: str) -> None:
    with pytest.raises(ValueError, match="refusing") as refusal:
        parse_target(f"{BASE}?schema={schema}")

    assert "s3cret" not in str(refusal.value)


def test_an_ordinary_schema_is_accepted() -> None:
    assert parse_target(f"{BASE}?schema=recommendations").schema == "recommendations"
