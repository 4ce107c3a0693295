"""Real exporter processes killed with SIGKILL, on SQLite and PostgreSQL: whenever it dies, the
product database holds exactly one complete version (every table, row counts and checksums as
logged for a succeeded export), and the next run cleans up and succeeds. A reader polling during
exports only ever sees one complete version.

Kills land at known points through the CLI's pause hook (CREATOR_DISCOVERY_EXPORT_PAUSE_AT, see
recsys/publish/export/cli.py) and at seeded random moments across a whole run.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
from support import REPO
from support.export_fixtures import (
    ReaderView,
    assert_one_complete_version,
    build_warehouse,
    postgres_schema_url,
    product_db,
    sqlite_url_in,
)

from recsys.publish.export import (
    TABLES,
    export_recommendations,
    export_status,
    rollback_recommendations,
)
from recsys.publish.export.cli import PAUSED_PREFIX
from recsys.settings import EXPORT_PAUSE_AT_VAR, EXPORT_PAUSE_SECONDS_VAR

# ~100k rows over the five tables: big enough that a COPY takes a while, small enough that the
# file runs in well under a minute on two busy cores.
USERS = 2_000
RANDOM_KILLS = 3
# Between two reads: a reader hammering the same two cores would only slow the exporter down.
READER_PAUSE = 0.02
SEED = 11


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("warehouses")
    return (
        build_warehouse(folder / "a.duckdb", USERS, seed=1),
        build_warehouse(folder / "b.duckdb", USERS, seed=2),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_in(tmp_path)
    else:
        with postgres_schema_url() as postgres:
            yield postgres


def start_export(warehouse: Path, url: str, pause_at: str = "") -> subprocess.Popen:
    """The exporter CLI as its own process, as a scheduler would run it."""
    return start_cli("export", "--warehouse", str(warehouse), "--url", url, pause_at=pause_at)


def start_cli(*args: str, pause_at: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "recsys.publish.export", *args],
        cwd=REPO,
        env={**os.environ, EXPORT_PAUSE_AT_VAR: pause_at, EXPORT_PAUSE_SECONDS_VAR: "120"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 60) -> None:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(deadline - time.monotonic()):
            line = process.stdout.readline()
            seen.append(line)
            if line.startswith(text):
                return
            if not line and process.poll() is not None:
                break
    raise AssertionError(f"no line {text!r} from the exporter; it printed: {''.join(seen)}")


def kill(process: subprocess.Popen) -> bool:
    """SIGKILL the process; False when it had exited on its own first (it may finish between a
    caller's poll and the signal: an unreaped process still takes the signal, harmlessly)."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return process.returncode == -signal.SIGKILL


def statuses(url: str) -> list[str]:
    with product_db(url) as db:
        return [entry.status for entry in db.log()]


def test_killed_during_copy_leaves_one_complete_version_and_the_next_run_cleans_up(
    url: str, warehouses: tuple[Path, Path]
) -> None:
    table = TABLES[-1].name
    export_recommendations(warehouses[0], url)
    exporter = start_export(warehouses[1], url, pause_at=f"copy:{table}")
    wait_for_line(exporter, PAUSED_PREFIX + f"copy:{table}")
    assert kill(exporter)

    assert assert_one_complete_version(url).version == 1
    leftovers = export_status(url).leftovers
    # Tables copied before the one cut short were committed to staging; the cut one was not.
    copied = [spec.staging for spec in TABLES[: [s.name for s in TABLES].index(table)]]
    assert leftovers == [*copied, "entry 2 still running"]

    result = export_recommendations(warehouses[1], url)
    assert result.status == "succeeded" and result.version == 3
    assert result.cleaned == [f"dropped leftover table {t}" for t in copied] + [
        "marked entry 2 abandoned"
    ]
    assert assert_one_complete_version(url).version == 3
    assert statuses(url) == ["succeeded", "abandoned", "succeeded"]
    assert export_status(url).leftovers == []


def test_killed_inside_the_swap_of_an_export_or_a_rollback_leaves_one_complete_version(
    url: str, warehouses: tuple[Path, Path]
) -> None:
    export_recommendations(warehouses[0], url)
    exporter = start_export(warehouses[1], url, pause_at="swap")
    wait_for_line(exporter, PAUSED_PREFIX + "swap")
    assert kill(exporter)

    # The swap transaction never committed: the old version is whole, the new one still staged.
    assert assert_one_complete_version(url).version == 1
    assert export_status(url).leftovers == [s.staging for s in TABLES] + ["entry 2 still running"]

    result = export_recommendations(warehouses[1], url)
    assert (result.status, result.version, result.replaced_version) == ("succeeded", 3, 1)
    assert assert_one_complete_version(url).version == 3
    assert statuses(url) == ["succeeded", "abandoned", "succeeded"]

    rollback = start_cli("rollback", "--url", url, pause_at="swap")
    wait_for_line(rollback, PAUSED_PREFIX + "swap")
    assert kill(rollback)
    assert assert_one_complete_version(url).version == 3
    assert statuses(url) == ["succeeded", "abandoned", "succeeded"]
    assert rollback_recommendations(url).version == 1


def test_killed_at_random_moments_always_leaves_one_complete_version(
    url: str, warehouses: tuple[Path, Path]
) -> None:
    """Seeded random kills anywhere between the start of the work (the log entry) and its end:
    while copying, adding keys, verifying, swapping or dropping the retired tables."""
    marks: dict[str, float] = {}

    def mark_start(line: str) -> None:
        if line.startswith("export version"):
            marks["started"] = time.perf_counter()

    export_recommendations(warehouses[0], url, progress=mark_start)
    work = time.perf_counter() - marks["started"]
    rng = random.Random(SEED)
    kills = 0
    for _ in range(RANDOM_KILLS):
        live = assert_one_complete_version(url)
        other = warehouses[1] if live.warehouse == str(warehouses[0]) else warehouses[0]
        exporter = start_export(other, url)
        wait_for_line(exporter, "export version")
        time.sleep(rng.uniform(0.0, 0.9) * work)
        if exporter.poll() is None and kill(exporter):
            kills += 1
    final = export_recommendations(warehouses[1], url)
    assert final.status in ("succeeded", "unchanged")
    assert assert_one_complete_version(url).version == final.version
    assert export_status(url).leftovers == []
    assert kills >= RANDOM_KILLS - 1
    assert set(statuses(url)) <= {"succeeded", "abandoned", "unchanged"}


def read_until_stopped(url: str, stop: Event, results: Connection) -> None:
    """The reader process: read in one transaction, again and again; send back what it saw."""
    views = []
    with product_db(url) as db:
        while not stop.is_set():
            views.append(db.read_in_one_transaction())
            time.sleep(READER_PAUSE)
    results.send(views)


def test_a_reader_only_ever_sees_one_complete_version_during_exports(
    url: str, warehouses: tuple[Path, Path]
) -> None:
    """A reader process reads every table and the log in one transaction, in a loop, while the
    tables are replaced three times with alternating contents."""
    export_recommendations(warehouses[0], url)
    fork = multiprocessing.get_context("fork")
    stop = fork.Event()
    receiving, sending = fork.Pipe(duplex=False)
    reader = fork.Process(target=read_until_stopped, args=(url, stop, sending))
    reader.start()
    try:
        exported = [export_recommendations(warehouses[(i + 1) % 2], url).version for i in range(3)]
    finally:
        stop.set()
    views: list[ReaderView] = receiving.recv()
    reader.join(30)
    seen = [view.complete_version() for view in views]
    assert None not in seen, [v for v in views if v.complete_version() is None][:1]
    assert exported == [2, 3, 4]
    assert len(set(seen)) >= 3 and len(views) >= 20
