"""TIRE_SLOW_LEAK (predictive): temperature-compensated pressure decaying faster than normal permeation.

Each tire's pressure is brought to 20 °C (ideal gas), averaged per bin, and fitted with a Theil–Sen
slope over a sliding window. Healthy tires lose 1-2 % a week through the rubber; a decay faster than
`min_loss_per_day` (a fraction of the recommended pressure) whose forecast reaches the model's
minimum within `horizon_days` is a slow leak. A pump-up (a jump up) or a sudden loss (a puncture or
a valve knocked: a step, TIRE_FLAT's or TIRE_UNDERINFLATED's business) restarts the tire's series
once the next reading confirms it; a single reading off the series is an outlier and is dropped.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .base import CLEAR, Detector, Verdict
from .tirecalc import compensated_kpa
from .trend import DAY_S, BinnedSeries, confidence_from_spread, days_to_cross, sustained_slope


class _Tires:
    __slots__ = ("series", "verdict", "last_t")

    def __init__(self):
        self.series: dict[str, BinnedSeries] = {}
        self.verdict: Verdict | None = None
        self.last_t = 0.0


class SlowLeakDetector(Detector):
    name = "tire_leak_trend"
    component = "tires"
    fault_code = "TIRE_SLOW_LEAK"
    clears = False

    def __init__(self, horizon_days: float = 14.0, min_loss_per_day: float = 0.015, bin_hours: float = 2.0,
                 window_days: float = 3.0, min_span_days: float = 0.75, min_bins: int = 6, pump_jump: float = 0.03,
                 step_drop: float = 0.02):
        super().__init__()
        self.horizon_days = horizon_days
        self.min_loss_per_day = min_loss_per_day
        self.bin_hours = bin_hours
        self.window_days = window_days
        self.min_span_days = min_span_days
        self.min_bins = min_bins
        self.pump_jump = pump_jump
        self.step_drop = step_drop

    def assess(self, reading, vehicle) -> Verdict | None:
        tires = self.vehicles_.get(reading.vehicle_id)
        return None if tires is None else tires.verdict

    def _fit(self, tires: _Tires, recommended: float, minimum: float) -> Verdict:
        worst = CLEAR
        for pos, series in tires.series.items():
            if len(series.bins) < self.min_bins or series.span_s() < self.min_span_days * DAY_S:
                continue
            ts, ys = zip(*series.bins)
            if (ys[0] - ys[-1]) / ((ts[-1] - ts[0]) / DAY_S) < 0.5 * self.min_loss_per_day * recommended:
                continue  # not even the crude end-to-end slope is steep: skip the robust fit
            slope, level, spread = sustained_slope(ts, ys)
            loss = -slope * DAY_S / recommended
            days = days_to_cross(level, slope, minimum)
            score = min(loss / self.min_loss_per_day, self.horizon_days / days if days > 0 else 10.0)
            if score > worst.score:
                failure = datetime.fromtimestamp(ts[-1] + days * DAY_S, timezone.utc) if days < 3650 else None
                worst = Verdict(score, confidence_from_spread(spread, len(ts)),
                                {"position": pos, "pressure_kpa_at_20c": round(level, 1),
                                 "min_kpa": round(minimum, 1), "loss_pct_per_day": round(100 * loss, 2),
                                 "days_to_min": round(days, 1)}, failure)
        return worst

    def _learn(self, reading, vehicle, verdict) -> None:
        if vehicle.model is None:
            return
        tires = self.vehicles_.get(reading.vehicle_id)
        if tires is None:
            tires = self.vehicles_[reading.vehicle_id] = _Tires()
        t = reading.ts.timestamp()
        if t <= tires.last_t:
            return
        tires.last_t = t
        recommended = vehicle.model.tire_recommended_kpa
        temp = None if "temp_c" in reading.implausible else reading.values.get("temp_c")
        closed = False
        for pos, kpa in reading.values["pressure_kpa"].items():
            if f"pressure_kpa.{pos}" in reading.implausible:
                continue
            series = tires.series.get(pos)
            if series is None:
                series = tires.series[pos] = BinnedSeries(self.bin_hours * 3600, self.window_days * DAY_S)
            # a pump-up or a sudden loss restarts the trend once the next reading confirms it
            closed |= series.add_guarded(t, compensated_kpa(kpa, temp), self.pump_jump * recommended,
                                         self.step_drop * recommended)
        if closed:
            tires.verdict = self._fit(tires, recommended, vehicle.model.tire_min_kpa)
