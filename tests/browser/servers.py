"""Servers the browser tests run: the Dagster UI through scripts/ui.py and the MLflow UI.

Each runs in a session of its own on a free loopback port and writes to a log file; stopping it
ends every process it started, whatever state the test left it in.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from recsys.settings import DATA_DIR_VAR, PROJECT_ROOT
from scripts.ui import live_group_members, stop_group

HOST = "127.0.0.1"
QUIET = {
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "SCARF_NO_ANALYTICS": "true",
    "PYTHONUNBUFFERED": "1",
}
PROJECT_PREFIX = "CREATOR_DISCOVERY_"
# One run at a time, as DuckDB admits one writer: runs launched back to back queue in order.
INSTANCE_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
  dequeue_interval_seconds: 1
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def project_env(data_dir: Path, dagster_home: Path) -> dict[str, str]:
    """The environment of a server over a temporary data folder and Dagster instance.

    No project variable of the caller's environment leaks in (a landing zone, a warehouse, a
    product database): everything the servers touch is under data_dir.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(INSTANCE_YAML)
    env = {key: value for key, value in os.environ.items() if not key.startswith(PROJECT_PREFIX)}
    return {**env, **QUIET, DATA_DIR_VAR: str(data_dir), "DAGSTER_HOME": str(dagster_home)}


def descendants(pid: int) -> set[int]:
    """Every process below pid, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:  # it has exited meanwhile
        return ""


def running(pids: set[int]) -> set[int]:
    """Those of pids that still run (a zombie waiting for its reaper has stopped)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Server:
    """A server process, its address and log, and the process groups it has started."""

    name: str
    process: subprocess.Popen
    url: str
    log: Path
    groups: set[int] = field(default_factory=set)

    def wait_until_up(self, health_path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.process.returncode} before answering "
                    f"{health_path}; log {self.log}:\n{log_tail(self.log)}"
                )
            try:
                with urllib.request.urlopen(self.url + health_path, timeout=5) as response:
                    if response.status == 200:
                        self.note_groups()
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(
            f"{self.name} did not answer {self.url}{health_path} within {timeout:.0f} s; "
            f"log {self.log}:\n{log_tail(self.log)}"
        )

    def tree(self) -> set[int]:
        return descendants(self.process.pid)

    def note_groups(self) -> None:
        """Remember the process groups of everything below the server, to end them all later."""
        self.groups |= {group_of(pid) for pid in running(self.tree())} - {None}

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int | None:
        """Signal the server, wait for it, then end whatever is left of its process groups."""
        if self.process.poll() is None:
            self.note_groups()
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        for group in {self.process.pid, *self.groups}:
            stop_group(group, grace=5)
        self.process.wait()
        return code

    def leftovers(self) -> set[int]:
        return {pid for group in self.groups for pid in live_group_members(group)}


def start(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    log: Path,
    url: str,
    preexec_fn: Callable[[], None] | None = None,
) -> Server:
    """Start a server in a session of its own (so nothing of it outlives a kill of its groups)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )
    return Server(name=name, process=process, url=url, log=log, groups={process.pid})


@contextmanager
def dagster_ui(env: Mapping[str, str], log: Path, timeout: float = 300) -> Iterator[Server]:
    """`make ui` on a free port: scripts/ui.py, the launcher that Makefile's `ui` target runs."""
    port = free_port()
    command = [sys.executable, "-m", "scripts.ui", "--port", str(port)]
    server = start("dagster UI", command, env, log, f"http://{HOST}:{port}")
    try:
        server.wait_until_up("/server_info", timeout)
        yield server
    finally:
        server.stop()


@contextmanager
def mlflow_ui(
    store: Path, env: Mapping[str, str], log: Path, timeout: float = 180
) -> Iterator[Server]:
    """The MLflow UI over the project's tracking store, as `make mlflow` serves it."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "mlflow", "server"),
        *("--host", HOST, "--port", str(port), "--workers", "1"),
        *("--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}"),
    ]
    # One worker and no background job runner: the UI needs neither, and the job runner's
    # consumers keep spinning for a while after SIGTERM.
    quiet = {**env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    server = start("MLflow UI", command, quiet, log, f"http://{HOST}:{port}")
    try:
        server.wait_until_up("/health", timeout)
        yield server
    finally:
        server.stop(signal.SIGTERM, timeout=20)


def graphql(url: str, query: str, variables: Mapping[str, object] | None = None) -> dict:
    """One query against the Dagster webserver's GraphQL API; raises on GraphQL errors."""
    body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise AssertionError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]
