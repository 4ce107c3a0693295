"""Sensors: what starts runs without a person in the loop."""

from sensors.landing_zone import landing_zone_sensor

SENSORS = [landing_zone_sensor]
