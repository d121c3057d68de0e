"""TIRE_UNDERINFLATED: pressure under the model's recommended band, twice running.

The band is for the tire as it is, the way a crew's gauge reads it (pressures are recommended cold,
and a cold tire is what a rider gets), so the raw gauge pressure is compared, not a 20 °C figure.
Pressures far below the band are a flat (TIRE_FLAT's job), so they are left to that detector.
"""
from __future__ import annotations

from .base import CLEAR, Detector, Verdict


class TireUnderinflatedDetector(Detector):
    name = "tire_pressure_band"
    component = "tires"
    fault_code = "TIRE_UNDERINFLATED"
    clears = True

    def __init__(self, band_fraction: float = 0.85, flat_fraction: float = 0.5, readings: int = 2):
        super().__init__()
        self.band_fraction = band_fraction
        self.flat_fraction = flat_fraction
        self.readings = readings

    def _low(self, reading, recommended: float):
        low = None
        for pos, kpa in reading.values["pressure_kpa"].items():
            if f"pressure_kpa.{pos}" in reading.implausible:
                continue
            if self.flat_fraction * recommended <= kpa < self.band_fraction * recommended:
                if low is None or kpa < low[1]:
                    low = (pos, kpa)
        return low

    def assess(self, reading, vehicle) -> Verdict | None:
        if vehicle.model is None:
            return None
        recommended = vehicle.model.tire_recommended_kpa
        low = self._low(reading, recommended)
        if low is None:
            return CLEAR
        run = self.vehicles_.get(reading.vehicle_id, 0) + 1
        if run < self.readings:
            return Verdict(0.5)  # low once: not yet, and not clear either
        pos, kpa = low
        return Verdict(1.0 + (self.band_fraction * recommended - kpa) / recommended * 10, 0.9,
                       {"position": pos, "pressure_kpa": kpa,
                        "band_low_kpa": round(self.band_fraction * recommended, 1)})

    def _learn(self, reading, vehicle, verdict) -> None:
        if verdict is None:
            return
        self.vehicles_[reading.vehicle_id] = 0 if verdict is CLEAR else self.vehicles_.get(reading.vehicle_id, 0) + 1
