"""BRAKE_PAD_WEAR (predictive): each pad's thickness trend, and when it will reach the model's minimum.

Thickness is averaged per `bin_hours` bin over a sliding `window_days`; a Theil–Sen slope over the
bins is the wear rate, robust to a noisy reading, a gap, or a parked day with no wear. A ticket is
due when a pad wears faster than a healthy pad can (`min_wear_mm_per_day`) and the forecast
crossing of the minimum is within `horizon_days`. New pads (a jump up) and a sudden drop (a pad
swapped or broken: a step, not wear) restart the series once the next reading confirms them; a
single reading off the series is an outlier and is dropped.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .base import LOOSEST_PAD_MIN_MM, CLEAR, Detector, Verdict
from .trend import DAY_S, BinnedSeries, confidence_from_spread, days_to_cross, sustained_slope

PADS = ("pad_front_mm", "pad_rear_mm")


class _Pads:
    __slots__ = ("series", "verdict", "last_t")

    def __init__(self, bin_s: float, window_s: float):
        self.series = {p: BinnedSeries(bin_s, window_s) for p in PADS}
        self.verdict: Verdict | None = None
        self.last_t = 0.0


class BrakePadWearDetector(Detector):
    name = "pad_wear_trend"
    component = "brakes"
    fault_code = "BRAKE_PAD_WEAR"
    clears = False

    def __init__(self, horizon_days: float = 30.0, min_wear_mm_per_day: float = 0.08, bin_hours: float = 2.0,
                 window_days: float = 4.0, min_span_days: float = 2.0, min_bins: int = 12, step_mm: float = 0.3):
        super().__init__()
        self.horizon_days = horizon_days
        self.min_wear_mm_per_day = min_wear_mm_per_day
        self.bin_hours = bin_hours
        self.window_days = window_days
        self.min_span_days = min_span_days
        self.min_bins = min_bins
        self.step_mm = step_mm

    def assess(self, reading, vehicle) -> Verdict | None:
        pads = self.vehicles_.get(reading.vehicle_id)
        return None if pads is None else pads.verdict

    def _fit(self, pads: _Pads, minimum: float) -> Verdict:
        worst = CLEAR
        for pad, series in pads.series.items():
            if len(series.bins) < self.min_bins or series.span_s() < self.min_span_days * DAY_S:
                continue
            ts, ys = zip(*series.bins)
            if (ys[0] - ys[-1]) / ((ts[-1] - ts[0]) / DAY_S) < 0.5 * self.min_wear_mm_per_day:
                continue  # not even the crude end-to-end slope is steep: skip the robust fit
            slope, level, spread = sustained_slope(ts, ys)
            wear = -slope * DAY_S
            days = days_to_cross(level, slope, minimum)
            score = min(wear / self.min_wear_mm_per_day, self.horizon_days / days if days > 0 else 10.0)
            if score > worst.score:
                failure = datetime.fromtimestamp(ts[-1] + days * DAY_S, timezone.utc) if days < 3650 else None
                worst = Verdict(score, confidence_from_spread(spread, len(ts)),
                                {"pad": pad, pad: round(level, 2), "min_mm": minimum,
                                 "wear_mm_per_day": round(wear, 3), "days_to_min": round(days, 1)}, failure)
        return worst

    def _learn(self, reading, vehicle, verdict) -> None:
        pads = self.vehicles_.get(reading.vehicle_id)
        if pads is None:
            pads = self.vehicles_[reading.vehicle_id] = _Pads(self.bin_hours * 3600, self.window_days * DAY_S)
        t = reading.ts.timestamp()
        if t <= pads.last_t:
            return  # late reading: the series is kept in time order
        pads.last_t = t
        closed = False
        for pad in PADS:
            mm = reading.values.get(pad)
            if mm is None or pad in reading.implausible:
                continue
            # new pads (up 0.5 mm) or a step down restart the trend once the next reading confirms them
            closed |= pads.series[pad].add_guarded(t, mm, 0.5, self.step_mm)
        if closed:
            minimum = vehicle.model.pad_min_mm if vehicle.model else LOOSEST_PAD_MIN_MM
            pads.verdict = self._fit(pads, minimum)
