"""`python -m bench.serve`: the online service under load, beside a minimal FastAPI app.

For each endpoint and 1, 8 and 32 concurrent keep-alive connections, `wrk` (Debian's package: a
bounded C load generator on loopback, one thread) runs for a fixed time over a list of real ids
and reports requests/s and the p50/p99 latency. The minimal app does the same lookup on the same
product database (one parameterized SELECT, dicts out) in the same run, so the ratio shows what
the service's own layers (Pydantic models, metrics, the read transaction) cost.

The platform is generated and materialized once under $DATA_DIR/bench/serve-<scale> (reused).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
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
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Endpoint:
    name: str
    paths: list[str]
    table: bool
    body: str | None = None


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


def wrk(base: str, endpoint: Endpoint, connections: int, seconds: float, work: Path) -> Load:
    """Run wrk over the endpoint's paths, picked at random per request."""
    script = work / "paths.lua"
    paths = ",".join(json.dumps(p) for p in endpoint.paths)
    method, body = ("POST", json.dumps(endpoint.body)) if endpoint.body else ("GET", "nil")
    script.write_text(
        f"local paths = {{{paths}}}\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n"
        f'  return wrk.format("{method}", paths[math.random(#paths)], headers, {body})\n'
        "end\n"
    )
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script),
        base,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Load(rate, _percentile(out, "50%"), _percentile(out, "99%"), errors)


def _percentile(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@contextmanager
def server(command: list[str], env: dict[str, str], base: str, log: Path) -> Iterator[None]:
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
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--scale", default="demo", choices=["tiny", "demo"])
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (default 5)")
    parser.add_argument("--connections", default=",".join(map(str, CONNECTIONS)))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (Debian's package)", file=sys.stderr)
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
    service_base, minimal_base = f"http://{HOST}:{service_port}", f"http://{HOST}:{minimal_port}"
    db = settings.warehouse_path.parent / "product.db"
    minimal_command = [sys.executable, str(work / "minimal.py"), str(db), str(minimal_port)]
    rows = []
    with (
        server([sys.executable, "-m", "service"], env, service_base, work / "service.log"),
        server(minimal_command, env, minimal_base, work / "minimal.log"),
    ):
        for endpoint in endpoints(settings):
            for n in connections:
                ours = wrk(service_base, endpoint, n, args.seconds, work)
                bare = None
                if endpoint.table:
                    bare = wrk(minimal_base, endpoint, n, args.seconds, work)
                rows.append((endpoint.name, n, ours, bare))
                print(_row(endpoint.name, n, ours, bare), flush=True)
    print()
    print(f"{args.scale} platform, {args.seconds:g} s per run, wrk -t1 on loopback")
    print(
        "| endpoint | connections | service req/s | p50 ms | p99 ms | minimal app req/s "
        "| p50 ms | p99 ms | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, ours, bare in rows:
        print(_row(name, n, ours, bare))
    return 0


def _row(name: str, n: int, ours: Load, bare: Load | None) -> str:
    errors = f" ({ours.errors} errors)" if ours.errors else ""
    cells = [name, str(n), f"{ours.requests_per_second:,.0f}{errors}", f"{ours.p50_ms:.1f}",
             f"{ours.p99_ms:.1f}"]  # fmt: skip
    if bare is None:
        cells += ["", "", "", ""]
    else:
        ratio = ours.requests_per_second / bare.requests_per_second
        cells += [f"{bare.requests_per_second:,.0f}", f"{bare.p50_ms:.1f}", f"{bare.p99_ms:.1f}",
                  f"{ratio:.2f}x"]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    raise SystemExit(main())
