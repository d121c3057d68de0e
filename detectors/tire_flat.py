"""TIRE_FLAT: sudden pressure loss: under half the recommended pressure, or a third lost since the last reading."""
from __future__ import annotations

from .base import CLEAR, Detector, Verdict


class TireFlatDetector(Detector):
    name = "tire_flat"
    component = "tires"
    fault_code = "TIRE_FLAT"
    clears = True

    def __init__(self, absolute_fraction: float = 0.5, drop_fraction: float = 0.33):
        super().__init__()
        self.absolute_fraction = absolute_fraction
        self.drop_fraction = drop_fraction

    def assess(self, reading, vehicle) -> Verdict | None:
        recommended = vehicle.model.tire_recommended_kpa if vehicle.model else None
        last = self.vehicles_.get(reading.vehicle_id, {})
        best = None
        for pos, kpa in reading.values["pressure_kpa"].items():
            if f"pressure_kpa.{pos}" in reading.implausible:
                continue
            before = last.get(pos)
            flat_abs = recommended is not None and kpa < self.absolute_fraction * recommended
            flat_drop = before is not None and before > 0 and (before - kpa) / before > self.drop_fraction
            if (flat_abs or flat_drop) and best is None:
                evidence = {"position": pos, "pressure_kpa": kpa}
                if before is not None:
                    evidence["previous_kpa"] = before
                if recommended is not None:
                    evidence["recommended_kpa"] = recommended
                best = Verdict(1.5 if flat_abs else 1.0, 0.95 if flat_abs else 0.8, evidence)
        return best or CLEAR  # one ticket per vehicle and code: the first flat tire carries the evidence

    def _learn(self, reading, vehicle, verdict) -> None:
        last = self.vehicles_.setdefault(reading.vehicle_id, {})
        for pos, kpa in reading.values["pressure_kpa"].items():
            if f"pressure_kpa.{pos}" not in reading.implausible:
                last[pos] = kpa
