"""Names shared by every asset group: owner, kinds and the event partitions."""

import datetime as dt

import dagster as dg

OWNER = "team:discovery"

RAW_EVENTS = dg.AssetKey(["raw", "events"])
# Partitioned by the day it judges: jobs over unpartitioned assets leave it out.
SERVED_QUALITY = dg.AssetKey(["monitoring", "served_quality"])
# Partitioned by user shard (assets/shards.py, when scoring is sharded): likewise left out.
SCORING_SHARDS_GROUP = "scoring_shards"


def event_partitions(first_event_day: dt.date) -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from the first day of events (Settings.event_partitions_start:
    CREATOR_DISCOVERY_FIRST_EVENT_DAY, or the landing zone's earliest day, or the demo's start)."""
    return dg.DailyPartitionsDefinition(start_date=first_event_day.isoformat())
