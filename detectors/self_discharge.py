"""BATTERY_SELF_DISCHARGE: state of charge falling while parked and not discharging.

While the pack is idle (|current| under `idle_a`) the charge it should lose is what the current
says (coulomb counting); the excess over a parked stretch of at least `min_hours` is the pack
leaking on its own. A stretch ends on any gap, load, charge or pack swap (a jump up in charge).
"""
from __future__ import annotations

from .base import CLEAR, Detector, Verdict


class _Stretch:
    __slots__ = ("t0", "t", "soc", "excess", "start_soc")

    def __init__(self, t: float, soc: float):
        self.t0 = self.t = t
        self.soc = self.start_soc = soc
        self.excess = 0.0


class SelfDischargeDetector(Detector):
    name = "self_discharge"
    component = "battery"
    fault_code = "BATTERY_SELF_DISCHARGE"
    clears = False

    def __init__(self, max_pct_per_hour: float = 0.3, min_hours: float = 2.0, idle_a: float = 0.3,
                 max_gap_s: float = 2400.0):
        super().__init__()
        self.max_pct_per_hour = max_pct_per_hour
        self.min_hours = min_hours
        self.idle_a = idle_a
        self.max_gap_s = max_gap_s

    def _step(self, stretch: _Stretch | None, reading, vehicle):
        """The stretch after this reading (a new object or None); pure with respect to `stretch`."""
        imp = reading.implausible
        if imp and ("soc_pct" in imp or "current_a" in imp):
            return stretch, False
        v = reading.values
        t, soc, current = reading.ts.timestamp(), v["soc_pct"], v["current_a"]
        if stretch is not None and t <= stretch.t:
            return stretch, False
        if abs(current) > self.idle_a or soc <= 0.5:
            return None, True
        if stretch is None or t - stretch.t > self.max_gap_s or soc > stretch.soc + 1.0:
            return _Stretch(t, soc), True
        capacity = vehicle.model.battery_capacity_ah if vehicle.model else 10.0
        expected_drop = max(current, 0.0) * (t - stretch.t) / 36.0 / capacity  # % of charge the current explains
        new = _Stretch(stretch.t0, soc)
        new.t, new.start_soc = t, stretch.start_soc
        new.excess = stretch.excess + (stretch.soc - soc) - expected_drop
        return new, True

    def assess(self, reading, vehicle) -> Verdict | None:
        stretch, used = self._step(self.vehicles_.get(reading.vehicle_id), reading, vehicle)
        if not used:
            return None
        if stretch is None:
            return CLEAR
        hours = (stretch.t - stretch.t0) / 3600
        if hours < self.min_hours:
            return CLEAR if stretch.excess <= 0 else None
        rate = stretch.excess / hours
        score = rate / self.max_pct_per_hour
        if score < 1.0:
            return CLEAR if score < 0.5 else Verdict(score)
        return Verdict(score, min(0.99, 0.6 + 0.1 * score),
                       {"soc_pct": reading.values["soc_pct"], "loss_pct_per_hour": round(rate, 3),
                        "parked_hours": round(hours, 1), "current_a": reading.values["current_a"]})

    def _learn(self, reading, vehicle, verdict) -> None:
        stretch, used = self._step(self.vehicles_.get(reading.vehicle_id), reading, vehicle)
        if used:
            self.vehicles_[reading.vehicle_id] = stretch
