"""`make ui`: the launcher serves the Dagster UI with its daemon and Ctrl-C stops every process."""

from __future__ import annotations

import signal
import socket
import sys
import time
from pathlib import Path

from servers import (
    HOST,
    Server,
    command_line,
    free_port,
    log_tail,
    project_env,
    running,
    start,
)

STARTUP_SECONDS = 300
SHUTDOWN_SECONDS = 60


def ignore_sigint() -> None:
    # What a shell does to a job it starts in the background; `dagster dev` inherits it unless
    # the launcher restores SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def announcement(launcher: Server, timeout: float) -> str:
    """The launcher's line saying where the UI is, which it prints once the UI answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in launcher.log.read_text().splitlines() if "UI ready" in line]
        if lines:
            return lines[0]
        time.sleep(0.2)
    raise AssertionError(f"the launcher never said the UI was ready:\n{log_tail(launcher.log)}")


def test_ctrl_c_stops_the_webserver_the_daemon_and_every_child(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "scripts.ui", "--port", str(port)]
    env = project_env(tmp_path / "data", tmp_path / "dagster_home")
    launcher = start("make ui", command, env, tmp_path / "ui.log", url, preexec_fn=ignore_sigint)
    try:
        launcher.wait_until_up("/server_info", timeout=STARTUP_SECONDS)
        announced = announcement(launcher, timeout=10)
        tree = running(launcher.tree())
        commands = " ".join(command_line(pid) for pid in tree)
        assert "dagster_webserver" in commands and "dagster._daemon" in commands, commands

        started = time.monotonic()
        launcher.process.send_signal(signal.SIGINT)
        code = launcher.process.wait(timeout=SHUTDOWN_SECONDS)
        stopped_in = time.monotonic() - started

        assert code in (0, 130), log_tail(launcher.log)
        assert running(tree) == set(), f"still running after Ctrl-C: {running(tree)}"
        assert launcher.leftovers() == set()
        assert stopped_in < SHUTDOWN_SECONDS
        with socket.socket() as probe:
            # Free for the next `make ui`: nothing listens (connections may linger in TIME_WAIT,
            # which servers, binding with SO_REUSEADDR, do not mind).
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((HOST, port))
        assert f"Dagster UI ready on {url}" in announced
    finally:
        launcher.stop(signal.SIGKILL, timeout=5)
