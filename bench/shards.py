"""Sharded scoring (recsys/serving/shards.py) with 1, 2 and 4 user shards, one after another.

Each shard runs in a process of its own, as a shard's pod would: it reads its readers from the
warehouse the dbt stage built, scores them with the ALS stage's factors and writes its parts. The
figure is each shard's seconds (the median of three rounds) beside the whole (one shard) divided
by N: the throughput N pods would buy, and what sharding itself costs (every shard reads the
catalog and the factors). Needs the dbt and als stages' outputs in the same working folder.
"""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

from bench.measure import Measurement, measure_step

SHARD_COUNTS = (1, 2, 4)
# Each shard is timed this many times; the median is reported (a shared 2-core machine is noisy).
ROUNDS = 3
MODEL_VERSION = 1


def run(workdir: Path, rounds: int = ROUNDS) -> list[tuple[Measurement, Measurement | None]]:
    """Every shard of each count, `rounds` times interleaved (1, 2, 4 shards, then again: load
    from other processes on the machine spreads over all counts), then the assembly of the last
    count's parts. Each shard's median seconds is paired with the whole's median divided by N."""
    warehouse = workdir / "dbt_built.duckdb"
    parts = workdir / "shard_parts"
    shutil.rmtree(parts, ignore_errors=True)
    measured: dict[tuple[int, int], list[Measurement]] = {}
    for _round in range(rounds):
        for count in SHARD_COUNTS:
            for index in range(count):
                shard = measure_step(
                    f"shard {index}/{count}",
                    "shard-score",
                    *(str(warehouse), str(workdir), str(parts), str(index), str(count)),
                )
                measured.setdefault((count, index), []).append(shard)
    shards = {key: _median(runs) for key, runs in measured.items()}
    whole = shards[(1, 0)]
    pairs: list[tuple[Measurement, Measurement | None]] = []
    for count in SHARD_COUNTS:
        share = Measurement(f"whole / {count}", whole.seconds / count, whole.peak_mb)
        of_count = [shards[(count, index)] for index in range(count)]
        pairs.extend((shard, share) for shard in of_count)
        slowest = max(shard.seconds for shard in of_count)
        print(
            f"{count} shards (median of {rounds}): slowest {slowest:.2f} s, sum "
            f"{sum(s.seconds for s in of_count):.2f} s, whole / {count} = {share.seconds:.2f} s: "
            f"slowest / (whole / N) = {slowest / share.seconds:.2f}",
            flush=True,
        )
    assembled = measure_step(
        f"assemble {SHARD_COUNTS[-1]}", "shard-assemble", str(parts), str(SHARD_COUNTS[-1])
    )
    pairs.append((assembled, None))
    return pairs


def _median(runs: list[Measurement]) -> Measurement:
    seconds = sorted(run.seconds for run in runs)[len(runs) // 2]
    return Measurement(runs[0].name, seconds, max(run.peak_mb for run in runs))


def score(warehouse: str, workdir: str, parts: str, index: str, count: str) -> float:
    """One shard as its pod runs it: read, score, write the parts; returns those seconds."""
    from recsys.models.als import AlsFactors
    from recsys.serving.shards import (
        ScoringParams,
        Shard,
        read_shard_inputs,
        score_shard,
        shard_stamp,
        write_parts,
    )
    from recsys.serving.user_tables import FeedParams, TableSizes
    from recsys.warehouse import connect

    sizes = TableSizes()
    params = ScoringParams(sizes.creators_per_user, sizes.posts_per_user, FeedParams())
    shard = Shard(int(index), int(count))
    marks = [time.perf_counter()]
    factors = AlsFactors.load(Path(workdir) / "factors.npz")
    with connect(warehouse, read_only=True) as conn:
        inputs = read_shard_inputs(conn, shard)
    marks.append(time.perf_counter())
    tables = score_shard(factors, inputs, params, MODEL_VERSION)
    marks.append(time.perf_counter())
    write_parts(Path(parts), shard, tables, shard_stamp(inputs, shard, MODEL_VERSION, params))
    marks.append(time.perf_counter())
    read, scored, written = (later - earlier for earlier, later in itertools.pairwise(marks))
    rows = ", ".join(f"{name} {len(table):,} rows" for name, table in tables.items())
    print(
        f"shard {index}/{count}: {len(inputs.creators.users):,} readers, {rows}; read "
        f"{read:.2f} s, scored {scored:.2f} s, stamped and written {written:.2f} s",
        flush=True,
    )
    return marks[-1] - marks[0]


def assemble(parts: str, count: str) -> float:
    """The assembly step: the parts read into one DuckDB table each, in one transaction."""
    import tempfile

    from recsys.serving.shards import assemble as assemble_parts
    from recsys.warehouse import connect

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with connect(Path(folder) / "assembled.duckdb") as conn:
            rows = assemble_parts(conn, Path(parts), int(count), "recommendations")
        seconds = time.perf_counter() - started
    print(f"assembled {count} shards: {rows}", flush=True)
    return seconds
