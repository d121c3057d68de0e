"""BATTERY_CAPACITY_FADE (predictive): state of health from coulomb counting, and when it crosses 80 %.

Between two close readings (a ride or a charge, at most `max_pair_s` apart) the charge that flowed,
current × time, moved the state of charge by Δsoc; the pack's usable capacity is their ratio, and
its share of the model's rated capacity is the state of health. Pairs are summed until they cover
`sample_pct` points of charge (so rounding and noise average out), giving one health sample (about
±1 % noise). A healthy pack loses a fraction of a point a month, so a Theil–Sen slope over a few noisy
samples would forecast nonsense; instead the pack's own level (median of its first `baseline_samples`)
is the reference, and a ticket is due when the recent level (median of the last `recent_samples`)
is under `warn_soh`, or has dropped `min_drop` below the pack's own level with a forecast crossing of
the end-of-life line within `horizon_days`. The forecast is the Theil–Sen trend of the samples of the
last `window_days` (or the average fade since the baseline, if that trend is not falling). Idle pairs,
gaps, swaps and a full or empty pack carry no information and are skipped.
"""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from .base import CLEAR, Detector, Verdict
from .trend import DAY_S, days_to_cross, theil_sen


class _Pack:
    __slots__ = ("prev", "ah", "pct", "samples", "verdict", "baseline", "first")

    def __init__(self):
        self.prev: tuple[float, float] | None = None  # (t, soc)
        self.ah = 0.0
        self.pct = 0.0
        self.samples: list[tuple[float, float]] = []  # (t, state of health)
        self.verdict: Verdict | None = None
        self.baseline: tuple[float, float] | None = None  # (t, state of health) learned from the first samples
        self.first: list[tuple[float, float]] = []


class CapacityFadeDetector(Detector):
    name = "capacity_fade_trend"
    component = "battery"
    fault_code = "BATTERY_CAPACITY_FADE"
    clears = False

    def __init__(self, end_of_life: float = 0.80, warn_soh: float = 0.85, min_drop: float = 0.05,
                 horizon_days: float = 30.0, sample_pct: float = 15.0, window_days: float = 10.0,
                 baseline_samples: int = 8, recent_samples: int = 5, max_pair_s: float = 65.0,
                 min_current_a: float = 0.5):
        super().__init__()
        self.end_of_life = end_of_life
        self.warn_soh = warn_soh
        self.min_drop = min_drop
        self.horizon_days = horizon_days
        self.sample_pct = sample_pct
        self.window_days = window_days
        self.baseline_samples = baseline_samples
        self.recent_samples = recent_samples
        self.max_pair_s = max_pair_s
        self.min_current_a = min_current_a

    def assess(self, reading, vehicle) -> Verdict | None:
        pack = self.vehicles_.get(reading.vehicle_id)
        return None if pack is None else pack.verdict

    def _fit(self, pack: _Pack) -> Verdict:
        if len(pack.samples) < self.recent_samples:
            return CLEAR
        t = pack.samples[-1][0]
        level = float(np.median([h for _, h in pack.samples[-self.recent_samples:]]))
        slope = theil_sen(*zip(*pack.samples))[0] if len(pack.samples) >= 2 * self.recent_samples else 0.0
        drop = pack.baseline[1] - level if pack.baseline else 0.0
        if slope >= 0 and pack.baseline and drop > 0 and t > pack.baseline[0]:
            slope = -drop / (t - pack.baseline[0])  # the average fade since the baseline
        days = days_to_cross(level, slope, self.end_of_life)
        soon = days <= self.horizon_days
        score = max((self.warn_soh + 0.05 - level) / 0.05, min(drop / self.min_drop, 2.0) if soon else 0.0)
        if score < 1.0:
            return CLEAR if score < 0.5 else Verdict(score)
        failure = datetime.fromtimestamp(t + days * DAY_S, timezone.utc) if days < 3650 else None
        return Verdict(score, round(min(0.95, 0.6 + 0.1 * score), 3),
                       {"state_of_health": round(level, 3),
                        "baseline_soh": round(pack.baseline[1], 3) if pack.baseline else None,
                        "fade_per_day": round(-slope * DAY_S, 5), "days_to_end_of_life": round(days, 1),
                        "samples": len(pack.samples)}, failure)

    def _learn(self, reading, vehicle, verdict) -> None:
        imp = reading.implausible
        if vehicle.model is None or (imp and ("soc_pct" in imp or "current_a" in imp)):
            return
        pack = self.vehicles_.get(reading.vehicle_id)
        if pack is None:
            pack = self.vehicles_[reading.vehicle_id] = _Pack()
        t, soc, current = reading.ts.timestamp(), reading.values["soc_pct"], reading.values["current_a"]
        prev = pack.prev
        if prev is not None and t <= prev[0]:
            return
        pack.prev = (t, soc)
        if prev is None or t - prev[0] > self.max_pair_s or abs(current) < self.min_current_a:
            return
        if not (0.5 < soc < 99.5 and 0.5 < prev[1] < 99.5):
            return
        sign = 1.0 if current > 0 else -1.0
        pack.ah += abs(current) * (t - prev[0]) / 3600
        pack.pct += (prev[1] - soc) * sign  # discharging lowers soc, charging raises it
        if pack.pct < self.sample_pct:
            return
        health = pack.ah / (vehicle.model.battery_capacity_ah * pack.pct / 100)
        pack.ah = pack.pct = 0.0
        if not 0.3 < health < 1.5:
            return  # a sample spoilt by a swap or a glitch
        pack.samples.append((t, health))
        if pack.baseline is None:
            pack.first.append((t, health))
            if len(pack.first) >= self.baseline_samples:
                pack.baseline = (float(np.median([x for x, _ in pack.first])),
                                 float(np.median([h for _, h in pack.first])))
                pack.first = []
        cutoff = t - self.window_days * DAY_S
        pack.samples = [s for s in pack.samples if s[0] >= cutoff]
        pack.verdict = self._fit(pack)
