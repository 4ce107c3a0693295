"""Names shared by every asset group: owner, kinds and the event partitions."""

import datetime as dt

import dagster as dg

OWNER = "team:discovery"

RAW_EVENTS = dg.AssetKey(["raw", "events"])


def event_partitions(first_event_day: dt.date) -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from the first day of events (Settings.event_partitions_start:
    CREATOR_DISCOVERY_FIRST_EVENT_DAY, or the landing zone's earliest day, or the demo's start)."""
    return dg.DailyPartitionsDefinition(start_date=first_event_day.isoformat())
