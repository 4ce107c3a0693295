"""The online service (service/) run for real: uvicorn on a free loopback port, in a subprocess
over a data folder the pipeline built, with its log in a file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys.settings import (
    DATA_DIR_VAR,
    PROJECT_ROOT,
    SERVE_HOST_VAR,
    SERVE_PORT_VAR,
    SERVE_RELOAD_SECONDS_VAR,
)

HOST = "127.0.0.1"
PROJECT_PREFIX = "CREATOR_DISCOVERY_"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Service:
    base: str
    log: Path
    process: subprocess.Popen

    def get(self, path: str) -> tuple[int, Any]:
        return request(self.base + path)

    def post(self, path: str, body: dict) -> tuple[int, Any]:
        return request(self.base + path, body)

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read().decode()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def request(url: str, body: dict | None = None) -> tuple[int, Any]:
    """(status, parsed JSON body) of a GET, or a POST of `body` as JSON."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def copy_data(source: Path, target: Path) -> Path:
    """A private copy of a built data folder, for tests that change what is served."""
    shutil.copytree(source, target, symlinks=True)
    return target


@contextmanager
def running_service(
    data_dir: Path,
    log: Path,
    reload_seconds: float = 0.3,
    timeout: float = 90,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Service]:
    """`python -m service` over `data_dir`; up once /health answers 200; stopped by its pid."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_PREFIX)}
    env |= {
        DATA_DIR_VAR: str(data_dir),
        SERVE_HOST_VAR: HOST,
        SERVE_PORT_VAR: str(port),
        SERVE_RELOAD_SECONDS_VAR: str(reload_seconds),
        "DO_NOT_TRACK": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env |= extra_env or {}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = Service(f"http://{HOST}:{port}", log, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the service exited:\n{service.log_text()[-3000:]}")
            try:
                if service.get("/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service did not start:\n{service.log_text()[-3000:]}")
            time.sleep(0.2)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def build_platform(data_dir: Path) -> None:
    """A tiny generated platform in `data_dir`, every asset materialized (product database
    exported, search bundle and analysts' snapshot published), the ALS search off for speed."""
    import dagster as dg

    from recsys.datagen import generate_platform
    from recsys.settings import TUNING_TRIALS_VAR, Settings
    from scripts.materialize_all import materialize_all

    overrides = {DATA_DIR_VAR: str(data_dir), TUNING_TRIALS_VAR: "0"}
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)  # dbt and every step see the same data folder
    try:
        settings = Settings.from_env()
        generate_platform(settings.landing_dir, settings.truth_dir, scale="tiny", seed=5)
        with dg.DagsterInstance.ephemeral() as instance:
            materialize_all(instance, settings)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
