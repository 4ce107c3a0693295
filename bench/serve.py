"""`python -m bench.serve`: the online service under load, beside a minimal FastAPI app.

For each endpoint and 1, 8 and 32 concurrent keep-alive connections, `wrk` (bench/wrk.py: Debian's
bounded C load generator, one thread on loopback, installed when missing) runs for a fixed time
over real ids and reports requests/s and the p50/p99 latency; the server's CPU time over the
requests it answered gives its cost per request. The minimal app does the same lookup on the same
product database (one parameterized SELECT, bare dicts out through FastAPI's default encoder) in
the same run. The machine is shared, so each measurement is repeated, the two servers taking
turns, and the median is reported: the throughput ratio shows what the service's own layers cost
beside the minimal app's, the CPU ratio the same without the noise of other work.

The platform is generated and materialized once under $DATA_DIR/bench/serve-<scale> (reused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench.wrk import Load, ensure_wrk, run_wrk
from recsys.settings import (
    DATA_DIR_VAR,
    PROJECT_ROOT,
    SERVE_PORT_VAR,
    TUNING_TRIALS_VAR,
    Settings,
    child_env,
)

HOST = "127.0.0.1"
CONNECTIONS = (1, 8, 32)
REPEATS = 3
SAMPLE_IDS = 2000
QUERIES = (
    "compost seedlings greenhouse",
    "sourdough oven",
    "garlic recipe",
    "stocks brokerage",
    "concert lyrics",
    "climate carbon",
    "galaxy telescope",
    "startup founders",
)
# A minimal app doing the table endpoints' lookups: one SELECT, dicts out, nothing else.
MINIMAL_APP = """
import sqlite3, sys
from fastapi import FastAPI
path = sys.argv[1]
conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
app = FastAPI()
def rows(sql, *params):
    return [dict(zip(("id", "rank", "score"), r)) for r in conn.execute(sql, params).fetchall()]
@app.get("/readers/{user_id}/creators")
async def creators(user_id: int, k: int = 10):
    return rows("SELECT creator_id, rank, score FROM user_creators WHERE user_id = ? "
                "ORDER BY rank LIMIT ?", user_id, k)
@app.get("/readers/{user_id}/feed")
async def feed(user_id: int, k: int = 10):
    return rows("SELECT post_id, rank, score FROM user_posts WHERE user_id = ? "
                "ORDER BY rank LIMIT ?", user_id, k)
@app.get("/creators/{creator_id}/similar")
async def similar(creator_id: int, k: int = 10):
    return rows("SELECT similar_creator_id, rank, score FROM similar_creators "
                "WHERE creator_id = ? ORDER BY rank LIMIT ?", creator_id, k)
@app.get("/posts/{post_id}/similar")
async def similar_posts(post_id: int, k: int = 10):
    return rows("SELECT similar_post_id, rank, score FROM similar_posts "
                "WHERE post_id = ? ORDER BY rank LIMIT ?", post_id, k)
if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=False, log_level="warning")
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    paths: list[str]
    table: bool
    body: str | None = None


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@dataclass(frozen=True)
class Row:
    """One endpoint at one concurrency: the median of each figure over the repeats."""

    endpoint: str
    connections: int
    service: Load
    minimal: Load | None
    ratio: float | None
    """Median over the repeats of service req/s / minimal app req/s, each pair run back to back."""


def ensure_platform(folder: Path, scale: str, say: Callable[[str], None]) -> Settings:
    """A generated platform under `folder`, every asset materialized once (reused after), by
    the same commands as `make data` and `make materialize`, in child processes."""
    settings = Settings.from_env({DATA_DIR_VAR: str(folder)})
    if (folder / "product.db").is_file() and (settings.models_dir / "search").is_dir():
        return settings
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "dagster_home").mkdir(parents=True)
    (folder / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = child_env(Path(sys.executable).parent) | {
        DATA_DIR_VAR: str(folder),
        TUNING_TRIALS_VAR: "0",  # the ALS search is not what this measures
        "DAGSTER_HOME": str(folder / "dagster_home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
    }
    say(f"Generating and materializing a {scale} platform in {folder} (once)")
    for command in (
        ["-m", "recsys.datagen", "--scale", scale, "--seed", "7"],
        ["-m", "scripts.materialize_all"],
    ):
        subprocess.run([sys.executable, *command], cwd=PROJECT_ROOT, env=env, check=True)
    return settings


def endpoints(settings: Settings) -> list[Endpoint]:
    db = settings.warehouse_path.parent / "product.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:

        def ids(sql: str) -> list[int]:
            found = [row[0] for row in conn.execute(sql)]
            return random.Random(1).sample(found, min(SAMPLE_IDS, len(found)))

        users = ids("SELECT DISTINCT user_id FROM user_creators")
        feed_users = ids("SELECT DISTINCT user_id FROM user_posts")
        creators = ids("SELECT DISTINCT creator_id FROM similar_creators")
        posts = ids("SELECT DISTINCT post_id FROM similar_posts")
    body = json.dumps({"title": "garlic oven recipe", "body": "roast the garlic, then the bread"})
    return [
        Endpoint("reader creators", [f"/readers/{u}/creators" for u in users], True),
        Endpoint("reader feed", [f"/readers/{u}/feed" for u in feed_users], True),
        Endpoint("similar creators", [f"/creators/{c}/similar" for c in creators], True),
        Endpoint("similar posts", [f"/posts/{p}/similar" for p in posts], True),
        Endpoint("search", [f"/search?q={quote(q)}" for q in QUERIES], False),
        Endpoint("more like this", ["/posts/more-like-this"], False, body),
    ]


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[Server]:
    """The server `command` listening on `port`, once it answers; terminated by its own pid."""
    base = f"http://{HOST}:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/openapi.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise RuntimeError(f"{command} did not start: {tail}") from None
                time.sleep(0.3)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(
    endpoint: Endpoint,
    connections: int,
    service: Server,
    minimal: Server,
    seconds: float,
    repeats: int,
    work: Path,
) -> Row:
    """Each repeat runs the service and the minimal app back to back, in alternating order."""
    ours: list[Load] = []
    bare: list[Load] = []
    for repeat in range(repeats):
        turns = [(service, ours), (minimal, bare)] if endpoint.table else [(service, ours)]
        for target, loads in turns if repeat % 2 == 0 else reversed(turns):
            load = run_wrk(
                target.base, target.pid, endpoint.paths, connections, seconds, work, endpoint.body
            )
            loads.append(load)
    ratio = None
    if bare:
        ratio = statistics.median(
            a.requests_per_second / b.requests_per_second for a, b in zip(ours, bare, strict=True)
        )
    return Row(endpoint.name, connections, _median(ours), _median(bare) if bare else None, ratio)


def _median(loads: list[Load]) -> Load:
    return Load(
        requests_per_second=statistics.median(x.requests_per_second for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        errors=sum(x.errors for x in loads),
        cpu_us_per_request=statistics.median(x.cpu_us_per_request for x in loads),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--scale", default="demo", choices=["tiny", "demo"])
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (default 5)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"default {REPEATS}")
    parser.add_argument("--connections", default=",".join(map(str, CONNECTIONS)))
    parser.add_argument("--endpoints", help="comma-separated names (default: every endpoint)")
    args = parser.parse_args(argv)
    if ensure_wrk(lambda line: print(line, file=sys.stderr, flush=True)) is None:
        return 2
    base_settings = Settings.from_env()
    settings = ensure_platform(base_settings.bench_dir / f"serve-{args.scale}", args.scale, print)
    connections = [int(c) for c in args.connections.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    service_port, minimal_port = free_port(), free_port()
    env = child_env() | {
        DATA_DIR_VAR: str(settings.data_dir),
        SERVE_PORT_VAR: str(service_port),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    (work / "minimal.py").write_text(MINIMAL_APP)
    db = settings.warehouse_path.parent / "product.db"
    minimal_command = [sys.executable, str(work / "minimal.py"), str(db), str(minimal_port)]
    rows = []
    load_before = os.getloadavg()
    with (
        server([sys.executable, "-m", "service"], env, service_port, work / "service.log") as ours,
        server(minimal_command, env, minimal_port, work / "minimal.log") as bare,
    ):
        chosen = args.endpoints.split(",") if args.endpoints else None
        for endpoint in endpoints(settings):
            if chosen is not None and endpoint.name not in chosen:
                continue
            for n in connections:
                row = measure(endpoint, n, ours, bare, args.seconds, args.repeats, work)
                rows.append(row)
                print(_row(row), flush=True)
    load_after = os.getloadavg()
    print()
    print(
        f"{args.scale} platform, {args.seconds:g} s per run, median of {args.repeats}, wrk -t1 on "
        f"loopback, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load "
        f"average {_load(load_before)} before, {_load(load_after)} after"
    )
    print(
        "| endpoint | connections | service req/s | p50 ms | p99 ms | CPU us/req "
        "| minimal app req/s | p50 ms | p99 ms | CPU us/req | ratio req/s | ratio CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(_row(row))
    return 0


def _load(averages: tuple[float, float, float]) -> str:
    return "/".join(f"{a:.2f}" for a in averages)


def _row(row: Row) -> str:
    ours, bare = row.service, row.minimal
    errors = f" ({ours.errors} errors)" if ours.errors else ""
    cells = [row.endpoint, str(row.connections), f"{ours.requests_per_second:,.0f}{errors}"]
    cells += [f"{ours.p50_ms:.1f}", f"{ours.p99_ms:.1f}", f"{ours.cpu_us_per_request:,.0f}"]
    if bare is None or row.ratio is None:
        cells += [""] * 6
    else:
        bare_errors = f" ({bare.errors} errors)" if bare.errors else ""
        cells += [f"{bare.requests_per_second:,.0f}{bare_errors}", f"{bare.p50_ms:.1f}"]
        cells += [f"{bare.p99_ms:.1f}", f"{bare.cpu_us_per_request:,.0f}", f"{row.ratio:.2f}x"]
        cells += [f"{bare.cpu_us_per_request / ours.cpu_us_per_request:.2f}x"]
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    raise SystemExit(main())
