"""BATTERY_OVERTEMP: pack temperature over its model's limit, or rising abnormally fast for the current drawn.

A healthy pack warms at most by its I²R heat against a thermal time constant of many minutes: its
rise per minute is bounded by a pack-specific coefficient times I². The detector learns that bound
per vehicle (the largest rise per A² seen over a minute of riding at 6 A or more, slowly forgotten;
the fleet's worst healthy pack until enough is seen) and allows `base_k_per_min` on top for ambient
and noise. Thermal runaway or a failed cooling path climbs several K/min whatever the current, so a
rise of at least `min_rise_k` faster than allowed catches it a reading after onset, long before the
limit; at high current a runaway and a hard ride look alike for a while and the limit decides.

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


class _Pack:
    __slots__ = ("history", "heating", "pairs")

    def __init__(self):
        self.history: list[tuple[float, float, float]] = []  # (t, temp, |current|), time-ordered
        self.heating: float | None = None  # learned K/min per A² (decaying max), None until `pairs` suffice
        self.pairs = 0


class BatteryOvertempDetector(Detector):
    name = "battery_overtemp"
    component = "battery"
    fault_code = "BATTERY_OVERTEMP"
    clears = False

    def __init__(self, base_k_per_min: float = 1.0, min_rise_k: float = 1.2, lookback_s: float = 1200.0,
                 default_heating: float = 0.025, learn_current_a: float = 6.0, learn_pairs: int = 10,
                 forget: float = 0.998):
        super().__init__()
        self.base_k_per_min = base_k_per_min
        self.min_rise_k = min_rise_k
        self.lookback_s = lookback_s
        self.default_heating = default_heating
        self.learn_current_a = learn_current_a
        self.learn_pairs = learn_pairs
        self.forget = forget

    def assess(self, reading, vehicle: VehicleInfo) -> Verdict | None:
        if "temp_c" in reading.implausible:
            return None
        values = reading.values
        temp = values["temp_c"]
        limit = vehicle.model.pack_temp_limit_c if vehicle.model else LOOSEST_TEMP_LIMIT_C
        t = reading.ts.timestamp()
        rise = rate = excess = 0.0
        current = abs(values.get("current_a", 0.0)) if "current_a" not in reading.implausible else 0.0
        pack = self.vehicles_.get(reading.vehicle_id)
        heating = self.default_heating
        allowed = self.base_k_per_min + heating * current * current
        if pack is not None:
            if pack.heating is not None and pack.pairs >= self.learn_pairs:
                heating = pack.heating
            peak = current  # the highest current drawn since each earlier reading: the heat it may explain
            for t0, temp0, current0 in reversed(pack.history):
                gain, dt = temp - temp0, t - t0
                if gain >= self.min_rise_k and 0 < dt <= self.lookback_s:
                    pair_rate = gain / (dt / 60)
                    pair_allowed = self.base_k_per_min + heating * peak * peak
                    if pair_rate / pair_allowed > excess:
                        rise, rate, allowed, excess = gain, pair_rate, pair_allowed, pair_rate / pair_allowed
                peak = max(peak, current0)
        fast = excess >= 1.0
        if temp <= limit and not fast:
            return CLEAR
        over = temp - limit
        score = 1.0 + max(over, 0.0) / 10 + (rate / allowed if fast else 0.0)
        confidence = min(0.99, 0.6 + max(over, 0.0) / 20 + (0.3 if fast else 0.0))
        return Verdict(score, confidence, {"temp_c": temp, "limit_c": limit, "current_a": values.get("current_a"),
                                           "rise_k_per_min": round(rate, 2), "allowed_k_per_min": round(allowed, 2)})

    def _learn(self, reading, vehicle, verdict) -> None:
        imp = reading.implausible
        if imp and ("temp_c" in imp or "current_a" in imp):
            return
        t = reading.ts.timestamp()
        pack = self.vehicles_.get(reading.vehicle_id)
        if pack is None:
            pack = self.vehicles_[reading.vehicle_id] = _Pack()
        history = pack.history
        if history and t <= history[-1][0]:
            return  # late or repeated reading: the rise is judged on time-ordered readings only
        temp, current = reading.values["temp_c"], abs(reading.values["current_a"])
        if (verdict is None or verdict.score < 1.0) and len(history) >= 2 and current >= self.learn_current_a:
            t0, temp0, current0 = history[-2]  # a minute of riding (two 30 s steps): half the noise of one
            if 0 < t - t0 <= 70 and current0 >= self.learn_current_a and history[-1][2] >= self.learn_current_a:
                per_a2 = max(temp - temp0, 0.0) / ((t - t0) / 60) / (current * current)
                pack.heating = per_a2 if pack.heating is None else max(per_a2, pack.heating * self.forget)
                pack.pairs += 1
        history.append((t, temp, current))
        if len(history) > 6 or t - history[0][0] > self.lookback_s:
            del history[0]
