"""The landing-zone sensor requests ingestion of each complete day once per delivery."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
from support.landing_files import deliver_day, event_rows

from recsys.ingest.landing import day_folder
from resources import LandingZone
from sensors.landing_zone import landing_zone_sensor

DAY_1 = dt.date(2026, 9, 1)
DAY_2 = dt.date(2026, 9, 2)


def evaluate(landing: Path) -> dict[str, str]:
    context = dg.build_sensor_context(resources={"landing_zone": LandingZone(path=str(landing))})
    result = landing_zone_sensor(context)
    return {request.partition_key: request.run_key for request in result.run_requests}


def test_each_complete_day_is_requested_with_a_stable_run_key(tmp_path: Path) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 2))
    deliver_day(tmp_path, DAY_2, event_rows(DAY_2, 10, 2), complete=False)

    first, second = evaluate(tmp_path), evaluate(tmp_path)

    assert set(first) == {DAY_1.isoformat()}
    assert first == second


def test_a_redelivered_day_is_requested_again_under_a_new_run_key(tmp_path: Path) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 2))
    before = evaluate(tmp_path)

    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 3))
    part = day_folder(tmp_path, DAY_1) / "part-0.parquet"
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert evaluate(tmp_path)[DAY_1.isoformat()] != before[DAY_1.isoformat()]


def test_days_outside_the_event_partitions_are_not_requested(tmp_path: Path) -> None:
    deliver_day(tmp_path, dt.date(2020, 1, 1), event_rows(dt.date(2020, 1, 1), 1, 2))

    assert evaluate(tmp_path) == {}
