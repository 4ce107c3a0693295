"""The end-to-end bench's helpers: process-tree memory, step times, the docs block."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

from bench.e2e import (
    EndToEnd,
    TreeMonitor,
    markdown_block,
    replace_block,
    step_seconds,
    tree_rss_bytes,
)
from bench.measure import Measurement

# A child that holds 200 MB resident until killed.
HOLD = (
    "import time; block = bytearray(200 * 2**20); block[::4096] = b'x' * (len(block) // 4096); "
    "time.sleep(60)"
)
HEADING = "## End to end"


def test_tree_memory_counts_the_children_of_the_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", HOLD])
    try:
        time.sleep(1.5)
        alone = tree_rss_bytes(child.pid)
        assert alone > 200 * 2**20
        assert tree_rss_bytes(os.getpid()) > alone
    finally:
        child.kill()
        child.wait()


def test_the_monitor_keeps_the_peak_of_a_tree_whose_memory_comes_and_goes() -> None:
    with TreeMonitor(os.getpid(), interval=0.05) as monitor:
        child = subprocess.Popen([sys.executable, "-c", HOLD])
        time.sleep(1.5)
        child.kill()
        child.wait()
        time.sleep(0.2)
    assert monitor.peak > tree_rss_bytes(os.getpid()) + 150 * 2**20


def test_step_seconds_pair_each_start_with_its_end_and_sum_over_runs() -> None:
    events = [
        ("raw__events", "STEP_START", 10.0),
        ("dbt_models", "STEP_START", 20.0),
        ("raw__events", "STEP_SUCCESS", 14.0),
        ("dbt_models", "STEP_FAILURE", 50.0),
        ("raw__events", "STEP_START", 60.0),
        ("raw__events", "STEP_SUCCESS", 61.5),
        ("never_ended", "STEP_START", 70.0),
    ]
    assert step_seconds(reversed(events)) == {"raw__events": 5.5, "dbt_models": 30.0}


def test_the_docs_block_starts_its_row_with_end_to_end_and_the_total_seconds() -> None:
    run = EndToEnd(seconds=120.0, peak_mb=2048.0, steps={"dbt_models": 30.0, "a": 1.0})
    bare = [Measurement("bare CTAS load", 1.0, 100.0), Measurement("bare fit", 39.0, 100.0)]
    block = markdown_block("demo", run, bare, dt.date(2026, 11, 30))
    row = next(line for line in block.splitlines() if line.startswith("| end to end |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:5] == ["end to end", "120.0", "2,048", "40.0", "3.00"]
    assert "| dbt_models | 30.0 |" in block


def _block(scale: str, text: str) -> str:
    return f"<!-- e2e:{scale}:start -->\n{text}\n<!-- e2e:{scale}:end -->"


def test_a_new_block_goes_under_the_heading_and_a_rerun_replaces_only_its_scale() -> None:
    doc = f"# Benchmarks\n\n{HEADING}\n\nprose\n\n## Other\n"
    first = replace_block(doc, "demo", _block("demo", "first demo"), HEADING)
    assert first.index("first demo") < first.index("prose") < first.index("## Other")
    large = replace_block(first, "large", _block("large", "large run"), HEADING)
    again = replace_block(large, "demo", _block("demo", "second demo"), HEADING)
    assert "first demo" not in again
    assert "second demo" in again and "large run" in again
    assert again.count("e2e:demo:start") == 1


def test_without_the_heading_the_block_is_appended_under_it() -> None:
    assert replace_block("# Doc\n", "demo", "X", HEADING).endswith(f"{HEADING}\n\nX\n")


def test_the_monitor_says_how_long_the_tree_has_run_and_what_is_left() -> None:
    lines: list[str] = []
    with TreeMonitor(os.getpid(), 0.02, lines.append, report_every=0.1, expected=100.0):
        time.sleep(0.35)
    assert lines and all(line.startswith("[bench-e2e] ") and "s left" in line for line in lines)
    assert "MB (peak" in lines[0]
