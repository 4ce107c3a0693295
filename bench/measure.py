"""Run one benchmark step in a child process and measure its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

CORE_SECONDS_PREFIX = "BENCH_CORE_SECONDS="


@dataclass(frozen=True)
class Measurement:
    """Wall time of the step's process (or its timed core, when it reports one) and peak RSS."""

    name: str
    seconds: float
    peak_mb: float


def measure_step(name: str, step: str, *args: str) -> Measurement:
    """Run `python -m bench.steps STEP ARGS...` and return its time and peak RSS.

    A child process per step keeps each peak-memory figure its own (ru_maxrss of that child
    only). Steps that time their own core (e.g. a fit, without imports and data loading) print
    it, and that figure is used instead of the process's wall time.
    """
    command = [sys.executable, "-m", "bench.steps", step, *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    core = None
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(CORE_SECONDS_PREFIX):
            core = float(line.removeprefix(CORE_SECONDS_PREFIX))
        else:
            print(line, end="", flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step {name!r} failed: {' '.join(command)}")
    return Measurement(
        name=name, seconds=core if core is not None else wall, peak_mb=usage.ru_maxrss / 1024
    )
