"""The MLflow UI over the store the pipeline writes to, on the loopback address.

The store comes from the settings: CREATOR_DISCOVERY_MLFLOW_TRACKING_URI (e.g. PostgreSQL) when set,
else the SQLite store in `<data dir>/mlflow`, so the UI shows the runs and registered models the
pipeline wrote, wherever they are.

Usage: python -m scripts.mlflow_ui [--port 5000]
"""

from __future__ import annotations

import argparse
import os
import sys

from recsys.settings import Settings

HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def mlflow_ui_command(settings: Settings, port: int) -> list[str]:
    """`mlflow ui` on the store the tracking helpers write (Settings.mlflow_tracking)."""
    store = settings.mlflow_tracking.tracking_uri
    # The interpreter running this script, so the project's venv is used with or without `uv run`;
    # one worker is plenty for one person and stops at once on Ctrl-C.
    server = ["--host", HOST, "--port", str(port), "--workers", "1"]
    return [sys.executable, "-m", "mlflow", "ui", *server, "--backend-store-uri", store]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    # SQLite creates the database file but not its folder (nothing trained yet: an empty UI);
    # the artifacts live under it whatever the store.
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    command = mlflow_ui_command(settings, args.port)
    # Replaced, not wrapped: Ctrl-C and the exit status are the server's own.
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
