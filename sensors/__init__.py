"""Sensors: what starts runs without a person in the loop."""

import dagster as dg

from sensors.drift import drift_retrain_sensor
from sensors.landing_zone import build_landing_zone_sensor


def build_sensors(
    event_partitions: dg.PartitionsDefinition, start_setting: str
) -> list[dg.SensorDefinition]:
    """Every sensor; the landing sensor knows the event partitions, whose start is a setting."""
    return [build_landing_zone_sensor(event_partitions, start_setting), drift_retrain_sensor]
