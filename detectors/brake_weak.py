"""BRAKE_WEAK: the deceleration reached for a given lever input has dropped (fade, contamination, air).

A healthy brake reaches about `full_decel_mps2 × lever/100` of its model (a few per cent of noise);
a ratio under `min_ratio` on one braking event is a brake that cannot stop the vehicle as it should.
Light lever inputs are skipped: rounding of the lever to whole per cent dominates there.
"""
from __future__ import annotations

from fleet_contract.vehicle_models import MODELS

from .base import CLEAR, Detector, Verdict

WEAKEST_FULL_DECEL = min(m.full_decel_mps2 for m in MODELS.values())


class BrakeWeakDetector(Detector):
    name = "brake_efficiency"
    component = "brakes"
    fault_code = "BRAKE_WEAK"
    clears = False

    def __init__(self, min_ratio: float = 0.75, min_lever_pct: float = 15.0):
        super().__init__()
        self.min_ratio = min_ratio
        self.min_lever_pct = min_lever_pct

    def assess(self, reading, vehicle) -> Verdict | None:
        values = reading.values
        decel, lever = values.get("decel_mps2"), values.get("lever_pct")
        if decel is None or lever is None or lever < self.min_lever_pct:
            return None
        if "decel_mps2" in reading.implausible or "lever_pct" in reading.implausible:
            return None
        full = vehicle.model.full_decel_mps2 if vehicle.model else WEAKEST_FULL_DECEL
        ratio = decel / (full * lever / 100)
        if ratio >= self.min_ratio:
            return CLEAR
        score = 1.0 + (self.min_ratio - ratio) / self.min_ratio
        return Verdict(score, min(0.99, 0.7 + (self.min_ratio - ratio)),
                       {"decel_mps2": decel, "lever_pct": lever, "expected_mps2": round(full * lever / 100, 2),
                        "efficiency": round(ratio, 3)})
