"""Run one benchmark step in a child process and measure its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds: float
    peak_mb: float


def measure_step(name: str, step: str, *args: str) -> Measurement:
    """Run `python -m bench.steps STEP ARGS...` and return its wall time and peak RSS.

    A child process per step keeps each peak-memory figure its own (ru_maxrss of that child only).
    """
    command = [sys.executable, "-m", "bench.steps", step, *args]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step {name!r} failed: {' '.join(command)}")
    return Measurement(name=name, seconds=seconds, peak_mb=usage.ru_maxrss / 1024)
