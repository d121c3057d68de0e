"""Robust trends for the predictive detectors: time-binned series, Theil–Sen slopes, forecast crossings. Pure.

A `BinnedSeries` keeps one mean per time bin (e.g. 2 h) over a sliding window, so a trend is fitted
on a few dozen points however often the vehicle reports; Theil–Sen (the median of pairwise slopes)
shrugs off outliers and gaps, and its spread across pairs gives a confidence.
"""
from __future__ import annotations

import math

import numpy as np

DAY_S = 86400.0


class BinnedSeries:
    """Means of a signal per `bin_s` bin, the last `window_s` kept; `reset()` after a step change (a repair)."""

    __slots__ = ("bin_s", "window_s", "bins", "open_bin", "open_sum", "open_n", "pending")

    def __init__(self, bin_s: float, window_s: float):
        self.bin_s, self.window_s = bin_s, window_s
        self.bins: list[tuple[float, float]] = []  # (bin centre time s, mean)
        self.open_bin = -1
        self.open_sum = 0.0
        self.open_n = 0
        self.pending: tuple[float, float] | None = None  # a sample off the series, awaiting confirmation

    def add(self, t: float, y: float) -> bool:
        """Add a sample (t in epoch seconds, never earlier than the open bin); True when a bin closed."""
        b = int(t // self.bin_s)
        closed = False
        if b != self.open_bin:
            if self.open_n:
                self.bins.append(((self.open_bin + 0.5) * self.bin_s, self.open_sum / self.open_n))
                closed = True
                cutoff = t - self.window_s
                if self.bins[0][0] < cutoff:
                    self.bins = [p for p in self.bins if p[0] >= cutoff]
            self.open_bin, self.open_sum, self.open_n = b, 0.0, 0
        self.open_sum += y
        self.open_n += 1
        return closed

    def add_guarded(self, t: float, y: float, jump_up: float, jump_down: float) -> bool:
        """Add a sample unless it jumps off the series; a jump the next sample confirms is a step (a repair,
        a pump-up, a part swapped: the series restarts from both), an unconfirmed one an outlier (dropped)."""
        last = self.last()
        if last is not None and not -jump_down <= y - last <= jump_up:
            pending = self.pending
            if pending is not None and abs(y - pending[1]) <= max(jump_up, jump_down) / 2:
                self.reset()
                self.add(*pending)
                return self.add(t, y)
            self.pending = (t, y)
            return False
        self.pending = None
        return self.add(t, y)

    def reset(self) -> None:
        self.bins = []
        self.open_bin, self.open_sum, self.open_n = -1, 0.0, 0
        self.pending = None

    def span_s(self) -> float:
        return self.bins[-1][0] - self.bins[0][0] if len(self.bins) > 1 else 0.0

    def last(self) -> float | None:
        return self.open_sum / self.open_n if self.open_n else (self.bins[-1][1] if self.bins else None)


def theil_sen(ts, ys) -> tuple[float, float, float]:
    """(slope per second, intercept at the last time, relative spread of the pairwise slopes 0..1)."""
    t = np.asarray(ts, dtype=float)
    y = np.asarray(ys, dtype=float)
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    keep = dt > 0
    slopes = (y[j] - y[i])[keep] / dt[keep]
    if not len(slopes):
        return 0.0, float(y[-1]), 1.0
    slope = float(np.median(slopes))
    level = float(np.median(y - slope * (t - t[-1])))
    q1, q3 = np.percentile(slopes, (25, 75))
    spread = float((q3 - q1) / (abs(slope) + 1e-12))
    return slope, level, spread


def sustained_slope(ts, ys) -> tuple[float, float, float]:
    """Theil–Sen over the whole window, with the slope the less steep of it and of the window's recent half.

    A one-off step (a part swapped, a valve knocked) makes a steep whole-window slope but a flat recent
    half; a real trend is steep in both, so the recent half caps the slope used for a forecast.
    """
    slope, level, spread = theil_sen(ts, ys)
    half = len(ts) // 2
    if half >= 3:
        recent, _, _ = theil_sen(ts[half:], ys[half:])
        if abs(recent) < abs(slope) or (recent > 0) != (slope > 0):
            slope = recent
    return slope, level, spread


def days_to_cross(level: float, slope_per_s: float, limit: float) -> float:
    """Days until a falling `level` reaches `limit` (0 if already there, inf if not falling)."""
    if level <= limit:
        return 0.0
    if slope_per_s >= 0:
        return math.inf
    return (level - limit) / (-slope_per_s) / DAY_S


def confidence_from_spread(spread: float, n: int) -> float:
    """A 0.5..0.99 confidence: tight pairwise slopes over many points is a confident trend."""
    tight = 1.0 / (1.0 + max(spread, 0.0))
    many = min(1.0, n / 24)
    return round(0.5 + 0.49 * tight * many, 3)
