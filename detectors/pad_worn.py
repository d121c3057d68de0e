"""BRAKE_PAD_WORN: a pad at or under its model's minimum thickness (a physics rule, no learning)."""
from __future__ import annotations

from .base import LOOSEST_PAD_MIN_MM, CLEAR, Detector, Verdict

PADS = ("pad_front_mm", "pad_rear_mm")


class BrakePadWornDetector(Detector):
    name = "brake_pad_min"
    component = "brakes"
    fault_code = "BRAKE_PAD_WORN"
    clears = True  # new pads: an open, unassigned ticket may be cancelled

    def __init__(self):
        super().__init__()

    def assess(self, reading, vehicle) -> Verdict | None:
        minimum = vehicle.model.pad_min_mm if vehicle.model else LOOSEST_PAD_MIN_MM
        values = reading.values
        worn = {k: values[k] for k in PADS if k in values and k not in reading.implausible and values[k] <= minimum}
        if not worn:
            return CLEAR
        thinnest = min(worn.values())
        return Verdict(1.0 + (minimum - thinnest) / max(minimum, 0.1), 0.95, {**worn, "min_mm": minimum})
