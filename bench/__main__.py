"""Benchmark the pipeline stage by stage: `python -m bench --scale large`.

Each stage runs beside a bare baseline doing the same work in the same run, and prints wall time,
peak memory and the ratio stage/baseline. Results also go to <data dir>/bench/<scale>/results.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from bench import ranking, shards
from bench.measure import Measurement, measure_step
from recsys.settings import Settings

# shards: user_creators and user_posts scored in 1, 2 and 4 user shards (bench/shards.py).
# ranking: the ranker's training and serving beside the ALS it refines (bench/ranking.py).
STAGES = ("generate", "load", "dbt", "als", "shards", "recommend", "content", "index", "ranking")
# Not in the default stages: ALS on a synthetic matrix of the large platform's shape (users x
# items x nnz), ours (converged, and all iterations) beside bare implicit on the same matrix.
SYNTHETIC_ALS = "als-synthetic"
SYNTHETIC_SHAPE = "1000000x50000x43000000"
# Not in the default stages: the online service under load beside a minimal FastAPI app
# (bench/serve.py, its own table); it materializes a whole platform, so at most the demo scale.
SERVE = "serve"
SERVE_SCALES = ("tiny", "demo")


def run(
    scale: str, workdir: Path, stages: list[str], synthetic_shape: str = SYNTHETIC_SHAPE
) -> list[tuple[Measurement, Measurement | None]]:
    landing, truth = workdir / "landing", workdir / "truth"
    # A file must not share a schema's name (raw, marts): DuckDB names the catalog after it.
    raw_warehouse = workdir / "raw_loaded.duckdb"
    pairs = []
    if "generate" in stages:
        pairs.append(
            (
                measure_step("generate", "generate", scale, str(landing), str(truth)),
                measure_step(
                    "pyarrow rewrite", "rewrite-landing", str(landing), str(workdir / "rewrite")
                ),
            )
        )
    if "load" in stages:
        loaded = measure_step("raw load", "load", str(landing), str(raw_warehouse))
        bare = measure_step(
            "bare CTAS", "load-bare", str(landing), str(workdir / "bare_loaded.duckdb")
        )
        # What strict conversion costs: the same files loaded the previous way (CAST, no checks).
        plain = measure_step(
            "plain CAST load", "load-plain", str(landing), str(workdir / "plain_loaded.duckdb")
        )
        pairs.extend([(loaded, bare), (loaded, plain)])
    if "dbt" in stages:
        dbt_warehouse, bare_warehouse = workdir / "dbt_built.duckdb", workdir / "bare_built.duckdb"
        compile_target = workdir / "dbt_compile"
        for copy in (dbt_warehouse, bare_warehouse):
            measure_step("copy", "copy-file", str(raw_warehouse), str(copy))
        measure_step("dbt compile", "dbt-compile", str(bare_warehouse), str(compile_target))
        bare = measure_step(
            "bare DuckDB", "bare-sql", str(bare_warehouse), str(compile_target / "manifest.json")
        )
        built = measure_step("dbt build", "dbt-build", str(dbt_warehouse), str(workdir / "dbt"))
        pairs.append((built, bare))
    dbt_warehouse = str(workdir / "dbt_built.duckdb")
    if "als" in stages:
        measure_step("matrix", "als-prep", dbt_warehouse, str(workdir))
        pairs.append(
            (
                measure_step("ALS fit", "als-fit", str(workdir)),
                measure_step("bare implicit fit", "als-fit-bare", str(workdir)),
            )
        )
    if SYNTHETIC_ALS in stages:
        synthetic = workdir / "als_synthetic"
        synthetic.mkdir(exist_ok=True)
        users, items, nnz = synthetic_shape.split("x")
        measure_step("synthetic matrix", "als-synthetic-prep", users, items, nnz, str(synthetic))
        bare = measure_step("bare implicit fit", "als-fit-bare-timed", str(synthetic))
        fixed = measure_step("ALS fit, all its", "als-fit-timed", str(synthetic), "0")
        converged = measure_step("ALS fit", "als-fit-timed", str(synthetic))
        pairs.extend([(fixed, bare), (converged, bare)])
    if "shards" in stages:
        # A round at 1M readers takes minutes per shard count, and there the per-reader work
        # dwarfs the machine's noise: one round; smaller platforms take the median of three.
        pairs.extend(shards.run(workdir, rounds=1 if scale == "large" else shards.ROUNDS))
    if "recommend" in stages:
        pairs.append(
            (
                measure_step("recommend", "recommend", str(workdir)),
                measure_step("implicit recommend", "recommend-bare", str(workdir)),
            )
        )
    if "content" in stages:
        content = measure_step("content fit", "content-fit", str(landing), str(workdir))
        pairs.append((content, None))
    if "index" in stages:
        pairs.append(
            (
                measure_step("annoy build", "index-build", str(workdir)),
                measure_step("exact 500 queries", "exact-search", str(workdir)),
            )
        )
    if "ranking" in stages:
        pairs.extend(ranking.run(workdir))
    if SERVE in stages:
        serve_scale = scale if scale in SERVE_SCALES else SERVE_SCALES[-1]
        command = [sys.executable, "-m", "bench.serve", "--scale", serve_scale]
        if subprocess.run(command, check=False).returncode != 0:
            raise SystemExit(f"benchmark stage {SERVE!r} failed: {' '.join(command)}")
    return pairs


def report(pairs: list[tuple[Measurement, Measurement | None]]) -> str:
    header = f"{'stage':<16}{'seconds':>10}{'peak MB':>10}   {'baseline':<18}{'seconds':>10}"
    header += f"{'peak MB':>10}{'ratio':>8}"
    lines = [header, "-" * len(header)]
    for stage, baseline in pairs:
        line = f"{stage.name:<16}{stage.seconds:>10.2f}{stage.peak_mb:>10.0f}   "
        if baseline is not None:
            line += f"{baseline.name:<18}{baseline.seconds:>10.2f}{baseline.peak_mb:>10.0f}"
            line += f"{stage.seconds / baseline.seconds:>8.2f}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "demo", "large"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"comma-separated; also {SYNTHETIC_ALS} and {SERVE} (at most the demo scale)",
    )
    parser.add_argument("--synthetic-shape", default=SYNTHETIC_SHAPE, help="users x items x nnz")
    args = parser.parse_args()
    workdir = (args.workdir or Settings.from_env().bench_dir / args.scale).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    pairs = run(args.scale, workdir, args.stages.split(","), args.synthetic_shape)
    print(report(pairs))
    results = [
        {"stage": asdict(stage), "baseline": asdict(base) if base else None}
        for stage, base in pairs
    ]
    (workdir / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
