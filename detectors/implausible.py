"""SENSOR_IMPLAUSIBLE: a reading with values no working sensor can give (stored and flagged by ingest)."""
from __future__ import annotations

from .base import CLEAR, Detector, Verdict


class SensorImplausibleDetector(Detector):
    name = "sensor_implausible"
    component = "any"
    fault_code = "SENSOR_IMPLAUSIBLE"

    def __init__(self):
        super().__init__()

    def observe(self, reading, vehicle) -> list:
        if not reading.implausible:
            return []  # the hot path: a plausible reading (nothing learned, nothing to clear)
        return super().observe(reading, vehicle)

    def assess(self, reading, vehicle) -> Verdict | None:
        if not reading.implausible:
            return CLEAR
        values = {k: reading.values.get(k.split(".")[0]) for k in reading.implausible}
        return Verdict(1.0 + len(reading.implausible), 0.9,
                       {"component": reading.component, "fields": list(reading.implausible), "values": values})
