"""The landing contract's day folders: completeness marker and delivery fingerprints."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from support.landing_files import deliver_day, event_rows

from recsys.ingest.landing import complete_event_days, day_folder, delivery_fingerprint

DAY_1 = dt.date(2026, 9, 1)
DAY_2 = dt.date(2026, 9, 2)


def test_only_days_with_the_completion_marker_are_complete(tmp_path: Path) -> None:
    deliver_day(tmp_path, DAY_2, event_rows(DAY_2, 1, 2))
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 10, 2))
    deliver_day(tmp_path, dt.date(2026, 9, 3), event_rows(DAY_1, 20, 2), complete=False)
    (tmp_path / "events" / "not-a-day").mkdir()

    assert complete_event_days(tmp_path) == [DAY_1, DAY_2]


def test_a_redelivered_day_gets_a_new_fingerprint_and_an_untouched_one_keeps_it(
    tmp_path: Path,
) -> None:
    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 2))
    deliver_day(tmp_path, DAY_2, event_rows(DAY_2, 10, 2))
    before = {day: delivery_fingerprint(tmp_path, day) for day in (DAY_1, DAY_2)}

    deliver_day(tmp_path, DAY_1, event_rows(DAY_1, 1, 3))
    part = day_folder(tmp_path, DAY_1) / "part-0.parquet"
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert delivery_fingerprint(tmp_path, DAY_1) != before[DAY_1]
    assert delivery_fingerprint(tmp_path, DAY_2) == before[DAY_2]
