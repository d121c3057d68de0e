"""BATTERY_CELL_IMBALANCE: cell voltage spread too wide for the model, or widened well past the pack's own normal.

Spread under load grows with current (cell resistances differ), so it is compensated by |I|/capacity.
The pack's normal spread is the median of its first `grace_period` readings; afterwards the median of
the last few readings is compared with it, so one noisy reading never raises a ticket.
"""
from __future__ import annotations

from statistics import median

from .base import CLEAR, Detector, Verdict

LOAD_SPREAD_V_PER_C = 0.005  # extra spread per unit of C-rate drawn


class _Pack:
    __slots__ = ("baseline", "first", "recent", "last_t")

    def __init__(self):
        self.baseline: float | None = None
        self.first: list[float] = []
        self.recent: list[float] = []
        self.last_t = 0.0


class CellImbalanceDetector(Detector):
    name = "cell_spread"
    component = "battery"
    fault_code = "BATTERY_CELL_IMBALANCE"
    grace_period = 24

    def __init__(self, widening_v: float = 0.025, recent: int = 5, default_limit_v: float = 0.10):
        super().__init__()
        self.widening_v = widening_v
        self.recent = recent
        self.default_limit_v = default_limit_v

    def _spread(self, reading, vehicle) -> float | None:
        imp = reading.implausible
        if imp and ("cell_v_min" in imp or "cell_v_max" in imp or "current_a" in imp):
            return None
        v = reading.values
        capacity = vehicle.model.battery_capacity_ah if vehicle.model else 10.0
        return v["cell_v_max"] - v["cell_v_min"] - LOAD_SPREAD_V_PER_C * abs(v["current_a"]) / capacity

    def assess(self, reading, vehicle) -> Verdict | None:
        pack = self.vehicles_.get(reading.vehicle_id)
        if pack is None or pack.baseline is None:
            return None
        spread = self._spread(reading, vehicle)
        if spread is None:
            return None
        typical = median(pack.recent[-(self.recent - 1):] + [spread]) if self.recent > 1 else spread
        limit = vehicle.model.cell_spread_limit_v if vehicle.model else self.default_limit_v
        widened = typical - pack.baseline
        score = max(typical / limit, widened / self.widening_v)
        if score < 1.0:
            return CLEAR if score < 0.5 else Verdict(score)
        return Verdict(score, min(0.99, 0.6 + 0.2 * (score - 1.0)),
                       {"cell_spread_v": round(typical, 4), "baseline_v": round(pack.baseline, 4),
                        "limit_v": limit})

    def _learn(self, reading, vehicle, verdict) -> None:
        spread = self._spread(reading, vehicle)
        if spread is None:
            return
        pack = self.vehicles_.get(reading.vehicle_id)
        if pack is None:
            pack = self.vehicles_[reading.vehicle_id] = _Pack()
        t = reading.ts.timestamp()
        if t <= pack.last_t:
            return
        pack.last_t = t
        if pack.baseline is None:
            pack.first.append(spread)
            if len(pack.first) >= self.grace_period:
                pack.baseline, pack.first = median(pack.first), []
        pack.recent.append(spread)
        if len(pack.recent) > self.recent:
            del pack.recent[0]
