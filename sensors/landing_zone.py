"""Landing-zone sensor: ingest each complete day of events once per delivery."""

import datetime as dt

import dagster as dg

from assets.support.constants import EVENT_PARTITIONS
from jobs import ingest_events_job
from recsys.ingest.landing import (
    complete_event_days,
    delivery_fingerprint,
    invalid_event_entries,
)
from resources import LandingZone


@dg.sensor(
    job=ingest_events_job,
    minimum_interval_seconds=60,
    # Stopped by default: a fresh instance pointed at a full landing zone would otherwise queue one
    # run per historical day; the demo loads history in a single backfill run instead.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Requests ingestion of every day whose landing folder carries the _SUCCESS marker. The run "
        "key is the day plus a fingerprint of its files, so a re-delivered day runs again and an "
        "unchanged one does not."
    ),
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, landing_zone: LandingZone
) -> dg.SensorResult:
    known_days = set(EVENT_PARTITIONS.get_partition_keys(current_time=_now()))
    requests = []
    skipped = []
    for day in complete_event_days(landing_zone.root):
        key = day.isoformat()
        if key not in known_days:
            skipped.append(key)
            continue
        fingerprint = delivery_fingerprint(landing_zone.root, day)
        requests.append(dg.RunRequest(partition_key=key, run_key=f"{key}:{fingerprint}"))
    for entry in invalid_event_entries(landing_zone.root):
        context.log.warning(
            f"landing/events/{entry} is not a day folder (expected exactly date=YYYY-MM-DD): "
            "it is not loaded"
        )
    if skipped:
        context.log.warning(f"Days outside the event partitions were ignored: {skipped}")
    return dg.SensorResult(run_requests=requests)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
