"""Landing-zone sensor: ingest each complete day of events once per delivery."""

import datetime as dt

import dagster as dg

from jobs import ingest_events_job
from recsys.ingest.landing import (
    complete_event_days,
    delivery_fingerprint,
    invalid_event_entries,
)
from resources import LandingZone


def build_landing_zone_sensor(
    partitions: dg.PartitionsDefinition, start_setting: str
) -> dg.SensorDefinition:
    """The sensor over the event partitions; days before their start are named, with the setting
    (`start_setting`) that moves it."""

    @dg.sensor(
        job=ingest_events_job,
        minimum_interval_seconds=60,
        # Stopped by default: a fresh instance pointed at a full landing zone would otherwise queue
        # one run per historical day; the demo loads history in a single backfill run instead.
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Requests ingestion of every day whose landing folder carries the _SUCCESS marker. The "
            "run key is the day plus a fingerprint of its files, so a re-delivered day runs again "
            "and an unchanged one does not."
        ),
    )
    def landing_zone_sensor(
        context: dg.SensorEvaluationContext, landing_zone: LandingZone
    ) -> dg.SensorResult:
        known_days = set(partitions.get_partition_keys(current_time=_now()))
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
            context.log.warning(
                f"Days outside the event partitions were ignored: {skipped[:20]} "
                f"({len(skipped)} in all); days before the first partition need {start_setting} "
                f"set to {min(skipped)} or earlier"
            )
        return dg.SensorResult(run_requests=requests)

    return landing_zone_sensor


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
