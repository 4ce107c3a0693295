"""dbt under the profile's memory limit: what does not fit spills to the temp directory and the
build still succeeds. At the large scale the build once failed halfway because dbt-duckdb re-applied
`temp_directory` on every new cursor after a query had spilled ("Cannot switch temporary directory
after the current one has been used"); the profile now sets it once, when the database opens."""

from __future__ import annotations

from pathlib import Path

import duckdb
from support.dbt_harness import run_dbt, write_raw_schema

EVENTS = 1_000_000
# Far below what the staging dedup and the feature aggregates need for a million events, yet
# enough for DuckDB's operators to run out of core (at 30 MB they fail with out-of-memory). With
# the previous profile this build failed on the temporary directory; DuckDB removes the directory
# when the database closes, so the build's success is the evidence.
MEMORY_LIMIT = "60MB"


def test_a_build_that_spills_to_disk_succeeds(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    write_raw_schema(warehouse, {})
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.users select i, timestamp '2026-01-01', 'US' from range(50000) t(i)"
        )
        con.execute(
            "insert into raw.creators select i, 'creator ' || i, 'tech', timestamp '2025-01-01' "
            "from range(200) t(i)"
        )
        con.execute(
            "insert into raw.posts "
            "select i, i % 200, 't', 'b', timestamp '2026-01-02', false from range(5000) t(i)"
        )
        con.execute(
            "insert into raw.subscriptions "
            "select i, i, i % 200, 'free', timestamp '2026-01-03', null from range(1000) t(i)"
        )
        con.execute(
            f"""insert into raw.events
            select i, (i * 7919) % 50000, (i * 104729) % 5000, 'read',
                   event_at, 30.0, event_at::date
            from (select i, timestamp '2026-03-01' + to_seconds(i % (20 * 86400)) as event_at
                  from range({EVENTS}) t(i))"""
        )
    temp_dir = tmp_path / "spill"

    run = run_dbt(
        "build",
        warehouse,
        tmp_path,
        env={
            "CREATOR_DISCOVERY_DBT_MEMORY_LIMIT": MEMORY_LIMIT,
            "CREATOR_DISCOVERY_DBT_TEMP_DIR": str(temp_dir),
        },
    )

    assert run.returncode == 0, run.output
    assert "temporary directory" not in run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_events").fetchone()[0] == EVENTS
