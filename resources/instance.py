"""The Dagster instance's dagster.yaml, written from the settings: SQLite under DAGSTER_HOME by
default, PostgreSQL when CREATOR_DISCOVERY_DAGSTER_STORAGE_URL is set.

`make install` and `make ui` write it before Dagster starts, so the storage follows the
environment: the settings own its `storage` key; other keys edited by hand are kept.

Usage: python -m resources.instance  (writes $DAGSTER_HOME/dagster.yaml)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from recsys.settings import DAGSTER_STORAGE_URL_VAR, Settings

INSTANCE_FILE = "dagster.yaml"


def instance_config(settings: Settings, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """dagster.yaml's content for these settings: `storage` is theirs; the other keys of
    `current` (an existing file's) are kept, with telemetry off and a run queue of one unless
    it says otherwise."""
    config = dict(current or {})
    config.setdefault("telemetry", {"enabled": False})
    # One run at a time: DuckDB admits one writer per file, so launches from the UI queue up.
    config.setdefault("run_queue", {"max_concurrent_runs": 1})
    config.pop("storage", None)
    if settings.dagster_storage_url is not None:
        # Named, not copied: the password stays in the environment, out of the file.
        url = {"env": DAGSTER_STORAGE_URL_VAR}
        config["storage"] = {"postgres": {"postgres_url": url}}
    return config


def write_instance_config(settings: Settings, home: Path | None = None) -> Path:
    """Write (or update) dagster.yaml in `home` (default: the settings' DAGSTER_HOME); its path."""
    home = Path(home or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / INSTANCE_FILE
    current = yaml.safe_load(path.read_text()) if path.exists() else None
    path.write_text(yaml.safe_dump(instance_config(settings, current), sort_keys=False))
    return path


def main() -> int:
    settings = Settings.from_env()
    path = write_instance_config(settings)
    storage = "PostgreSQL" if settings.dagster_storage_url else "SQLite"
    print(f"Dagster instance: {path} ({storage} storage)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
