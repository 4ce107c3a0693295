"""`wrk`, Debian's HTTP load generator, for bench/serve.py: installed when missing, run over a list
of paths, its figures read back, with the CPU time the server process spent on the requests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recsys.settings import child_env

# A request wrk has not seen answered after this long counts as a timeout error.
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Load:
    """One wrk run against one server."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float
    """The server process's CPU time (user + system, all threads) over the requests it answered:
    what a request costs the server, much less sensitive to other work on the machine than
    throughput."""


def ensure_wrk(say: Callable[[str], None]) -> str | None:
    """The path of `wrk`, installed from Debian's package when missing (as root, or through
    passwordless sudo); None, with the reason said, when it cannot be installed here."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    if shutil.which("apt-get") is None:
        say("wrk is missing and there is no apt-get: install wrk (https://github.com/wg/wrk)")
        return None
    root = os.geteuid() == 0
    if not root and shutil.which("sudo") is None:
        say("wrk is missing: as root, run apt-get install -y wrk (Debian's package)")
        return None
    prefix = [] if root else ["sudo", "-n"]  # -n: fail rather than wait for a password
    env = child_env() | {"DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    say("wrk is missing: " + " ".join(install))
    for attempt in ([install], [[*prefix, "apt-get", "update"], install]):
        if all(subprocess.run(c, env=env, check=False).returncode == 0 for c in attempt):
            break
    found = shutil.which("wrk")
    if found is None:
        say("wrk could not be installed: run sudo apt-get install -y wrk (Debian's package)")
    return found


def run_wrk(
    base: str,
    server_pid: int,
    paths: list[str],
    connections: int,
    seconds: float,
    work: Path,
    body: str | None = None,
) -> Load:
    """`wrk -t1` with `connections` keep-alive connections for `seconds`, each request to one of
    `paths` picked at random (a POST of `body` when given)."""
    script = work / "paths.lua"
    listed = ",".join(json.dumps(p) for p in paths)
    method, payload = ("POST", json.dumps(body)) if body else ("GET", "nil")
    script.write_text(
        f"local paths = {{{listed}}}\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n"
        f'  return wrk.format("{method}", paths[math.random(#paths)], headers, {payload})\n'
        "end\n"
    )
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={TIMEOUT_SECONDS}s",
        "--latency", "-s", str(script), base,
    ]  # fmt: skip
    cpu_before = process_cpu_seconds(server_pid)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = process_cpu_seconds(server_pid) - cpu_before
    requests = int(_search(r"(\d+) requests in", out))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Load(
        requests_per_second=float(_search(r"Requests/sec:\s+([\d.]+)", out)),
        p50_ms=_percentile(out, "50%"),
        p99_ms=_percentile(out, "99%"),
        errors=errors,
        cpu_us_per_request=cpu / max(requests, 1) * 1e6,
    )


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _search(pattern: str, out: str) -> str:
    found = re.search(pattern, out)
    if found is None:
        raise RuntimeError(f"wrk's output has no {pattern!r}:\n{out}")
    return found.group(1)


def _percentile(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
