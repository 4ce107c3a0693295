"""Run the Dagster UI with its daemon on the loopback address, and stop both cleanly on Ctrl-C.

`dagster dev` runs in a process group of its own, so its webserver, daemon, code server and run
workers can be stopped as one group if it does not shut them down itself within the grace period.

Usage: python -m scripts.ui [--port 3000] [--workspace workspace.yaml] [--grace 30]
(the port defaults to UI_PORT, else 3000; the instance is DAGSTER_HOME, else data/dagster_home,
its dagster.yaml written from the settings first: resources/instance.py)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from recsys.settings import DAGSTER_HOME_VAR, Settings, child_env

HOST = "127.0.0.1"
POLL_SECONDS = 0.5
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


def dagster_dev_command(port: int, workspace: str) -> list[str]:
    # The interpreter running this script, so the project's venv is used with or without `uv run`.
    dagster = [sys.executable, "-m", "dagster"]
    return [*dagster, "dev", "-h", HOST, "-p", str(port), "-w", workspace]


def is_up(url: str) -> bool:
    """Whether the webserver answers its health endpoint."""
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def live_group_members(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting for a reaper do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anything in the group is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after its closing one.
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, grace: float) -> None:
    """SIGTERM what is left of the group, then SIGKILL whatever outlives the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not live_group_members(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and live_group_members(pgid):
            time.sleep(0.2)


def run(port: int, workspace: str, grace: float) -> int:
    url = f"http://{HOST}:{port}"
    stop = threading.Event()
    # Handlers first: a handled signal reverts to its default in the child at exec, whereas an
    # ignored one (what a shell gives a background job) would stay ignored, and `dagster dev`
    # maps SIGTERM to its SIGINT handler, so it would ignore both.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())

    # Here rather than at the top: resources import Dagster, which --help does not need.
    from resources.instance import write_instance_config

    settings = Settings.from_env()
    # The instance's storage follows the settings (SQLite, or PostgreSQL when configured).
    write_instance_config(settings)
    # dagster-dbt runs `dbt` by name: the venv's bin must be on PATH even without `uv run`.
    env = child_env(path_first=Path(sys.executable).parent)
    env[DAGSTER_HOME_VAR] = str(settings.dagster_home)
    dev = subprocess.Popen(dagster_dev_command(port, workspace), env=env, process_group=0)
    print(f"Starting the Dagster UI and daemon (pid {dev.pid}): {url}", flush=True)
    announced = False
    while dev.poll() is None and not stop.wait(POLL_SECONDS):
        if not announced and is_up(url):
            print(
                f"Dagster UI ready on {url} (Ctrl-C stops the webserver and the daemon)", flush=True
            )
            announced = True
    if dev.poll() is not None:
        # It died on its own (port taken, broken workspace): clear up whatever it started.
        stop_group(dev.pid, grace=5)
        return dev.returncode

    print("Stopping the Dagster UI and daemon", flush=True)
    # Only `dagster dev` itself is interrupted: it shuts its webserver and daemon down in order.
    dev.send_signal(signal.SIGINT)
    try:
        dev.wait(timeout=grace)
        clean = True
    except subprocess.TimeoutExpired:
        print(
            f"dagster dev did not stop within {grace:.0f} s: killing its process group", flush=True
        )
        clean = False
    stop_group(dev.pid, grace=5)
    dev.wait()
    return 0 if clean else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=Settings.from_env().ui_port)
    parser.add_argument("--workspace", default=str(WORKSPACE))
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds to wait for a clean shutdown"
    )
    args = parser.parse_args(argv)
    return run(args.port, args.workspace, args.grace)


if __name__ == "__main__":
    sys.exit(main())
