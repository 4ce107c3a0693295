"""The landing-zone sensor requests ingestion of each complete day once per delivery, and warns
about every entry of landing/events that is not a day folder."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import dagster as dg
from support.landing_files import deliver_day, event_rows, write_table

from assets.raw import build_raw_events
from assets.support.constants import event_partitions
from recsys.ingest.landing import DAY_COMPLETE_MARKER, EVENTS, day_folder
from recsys.settings import FIRST_EVENT_DAY_VAR
from resources import LandingZone, Warehouse
from sensors.landing_zone import build_landing_zone_sensor

DAY_1 = dt.date(2026, 9, 1)
DAY_2 = dt.date(2026, 9, 2)
PARTITIONS = event_partitions(DAY_1)
landing_zone_sensor = build_landing_zone_sensor(PARTITIONS, FIRST_EVENT_DAY_VAR)
raw_events = build_raw_events(PARTITIONS)


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


# Entries of landing/events that are not day folders: names Python's ISO parser would read as
# 2026-09-09, and a stray file. Each holds a full, marked delivery, to show none is loaded.
INVALID_ENTRIES = ("date=20260909", "date=2026-W37-3", "notes.txt")


def deliver_invalid_entries(landing: Path) -> None:
    events = EVENTS.folder(landing)
    for name in INVALID_ENTRIES[:2]:
        write_table(events / name, event_rows(dt.date(2026, 9, 9), 100, 2))
        (events / name / DAY_COMPLETE_MARKER).touch()
    (events / INVALID_ENTRIES[2]).write_text("delivery notes")
    (events / ".DS_Store").write_bytes(b"")  # hidden: ignored without a word


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_each_invalid_entry_in_events_is_warned_about_once_and_gets_no_run(
    tmp_path: Path,
) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 2))
    deliver_invalid_entries(tmp_path)
    collected = Collected()

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, resources={"landing_zone": LandingZone(path=str(tmp_path))}
        )
        context.log.addHandler(collected)
        result = landing_zone_sensor(context)

    assert {request.partition_key for request in result.run_requests} == {DAY_1.isoformat()}
    for entry in INVALID_ENTRIES:
        assert sum(f"landing/events/{entry} " in m for m in collected.messages) == 1, entry
    assert len(collected.messages) == len(INVALID_ENTRIES)
    assert not any(".DS_Store" in message for message in collected.messages)


def test_the_ingest_run_warns_about_each_invalid_entry_and_loads_the_valid_day(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    deliver_day(landing, DAY_1, event_rows(DAY_1, 1, 2))
    deliver_invalid_entries(landing)

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [raw_events],
            partition_key=DAY_1.isoformat(),
            instance=instance,
            resources={
                "landing_zone": LandingZone(path=str(landing)),
                "warehouse": Warehouse(path=str(tmp_path / "warehouse.duckdb")),
            },
        )
        warnings = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if entry.level == logging.WARNING
        ]

    assert result.success
    for entry in INVALID_ENTRIES:
        assert sum(f"landing/events/{entry} " in w for w in warnings) == 1, entry
    [materialization] = result.asset_materializations_for_node("raw__events")
    assert materialization.metadata["dagster/partition_row_count"].value == 2
