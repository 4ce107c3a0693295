"""Helpers the tests share: fixtures' builders, a dbt harness, readers run as subprocesses."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
