"""Sensors: what starts runs without a person in the loop."""

from sensors.drift import drift_retrain_sensor
from sensors.landing_zone import landing_zone_sensor

SENSORS = [landing_zone_sensor, drift_retrain_sensor]
