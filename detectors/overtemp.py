"""BATTERY_OVERTEMP: pack temperature over its model's limit, or rising abnormally fast for the current drawn.

A healthy pack warms at most ~1 K/min even on a hard ride (I²R heat against a thermal time constant
of many minutes); thermal runaway or a failed cooling path climbs several K/min, so the rise over the
last few readings catches it a reading after onset, long before the limit is reached.

>>> from datetime import datetime, timezone
>>> from fleet_contract.payload import Reading
>>> from fleet_contract.vehicle_models import MODELS
>>> bike = VehicleInfo("EB-1", "ebike", MODELS["urban-e1"])
>>> def r(minute, temp):
...     return Reading("EB-1", "battery", datetime(2026, 11, 1, 8, minute, tzinfo=timezone.utc),
...                    {"soc_pct": 60.0, "current_a": 0.0, "temp_c": temp, "voltage_v": 37.0,
...                     "cell_v_min": 3.7, "cell_v_max": 3.71})
>>> d = BatteryOvertempDetector()
>>> d.observe(r(0, 15.0), bike)
[]
>>> [f.fault_code for f in d.observe(r(15, 50.0), bike)]
['BATTERY_OVERTEMP']
"""
from __future__ import annotations

from .base import LOOSEST_TEMP_LIMIT_C, CLEAR, Detector, VehicleInfo, Verdict


class BatteryOvertempDetector(Detector):
    name = "battery_overtemp"
    component = "battery"
    fault_code = "BATTERY_OVERTEMP"
    clears = False

    def __init__(self, max_rise_k_per_min: float = 2.0, min_rise_k: float = 1.2, lookback_s: float = 1200.0,
                 allowed_k_per_min_per_a2: float = 0.005):
        super().__init__()
        self.max_rise_k_per_min = max_rise_k_per_min
        self.min_rise_k = min_rise_k
        self.lookback_s = lookback_s
        self.allowed_k_per_min_per_a2 = allowed_k_per_min_per_a2

    def assess(self, reading, vehicle: VehicleInfo) -> Verdict | None:
        if "temp_c" in reading.implausible:
            return None
        values = reading.values
        temp = values["temp_c"]
        limit = vehicle.model.pack_temp_limit_c if vehicle.model else LOOSEST_TEMP_LIMIT_C
        t = reading.ts.timestamp()
        rate = rise = 0.0
        history = self.vehicles_.get(reading.vehicle_id)
        if history:
            for t0, temp0 in history:  # the steepest rise, of at least min_rise_k, from any recent reading
                gain = temp - temp0
                if gain >= self.min_rise_k and 0 < t - t0 <= self.lookback_s and gain / ((t - t0) / 60) > rate:
                    rise, rate = gain, gain / ((t - t0) / 60)
        current = abs(values.get("current_a", 0.0)) if "current_a" not in reading.implausible else 0.0
        allowed = self.max_rise_k_per_min + self.allowed_k_per_min_per_a2 * current * current
        fast = rise >= self.min_rise_k and rate >= allowed
        if temp <= limit and not fast:
            return CLEAR
        over = temp - limit
        score = 1.0 + max(over, 0.0) / 10 + (rate / allowed if fast else 0.0)
        confidence = min(0.99, 0.6 + max(over, 0.0) / 20 + (0.3 if fast else 0.0))
        return Verdict(score, confidence, {"temp_c": temp, "limit_c": limit, "current_a": values.get("current_a"),
                                           "rise_k_per_min": round(rate, 2)})

    def _learn(self, reading, vehicle, verdict) -> None:
        if "temp_c" in reading.implausible:
            return
        t = reading.ts.timestamp()
        history = self.vehicles_.setdefault(reading.vehicle_id, [])
        if history and t <= history[-1][0]:
            return  # late or repeated reading: the rise is judged on time-ordered readings only
        history.append((t, reading.values["temp_c"]))
        if len(history) > 6 or t - history[0][0] > self.lookback_s:
            del history[0]
