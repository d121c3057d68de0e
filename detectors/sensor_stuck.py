"""SENSOR_STUCK: a signal frozen at one value while the vehicle is in use.

Signals that always move while in use (pack temperature and voltage carry noise finer than their
rounding; speed changes every ride) are watched for a run of identical values. A run counts only
if enough of its readings were taken in use (riding, or current flowing), so a parked vehicle's
genuinely steady values never look stuck.
"""
from __future__ import annotations

from .base import CLEAR, Detector, Verdict

# (component, field) -> (identical readings in a run, of which in use)
SIGNALS = {
    ("battery", "temp_c"): (16, 4),
    ("battery", "voltage_v"): (16, 4),
    ("status", "speed_kmh"): (8, 8),
}

_DEFAULT_BY_COMPONENT: dict[str, list] = {}
for (_component, _field), _need in SIGNALS.items():
    _DEFAULT_BY_COMPONENT.setdefault(_component, []).append((_field, _need))


class _Run:
    __slots__ = ("value", "n", "in_use", "t")

    def __init__(self, value, in_use: bool, t: float):
        self.value, self.n, self.in_use, self.t = value, 1, int(in_use), t


class SensorStuckDetector(Detector):
    name = "sensor_stuck"
    component = "any"
    fault_code = "SENSOR_STUCK"
    clears = False

    def __init__(self, signals: dict | None = None, in_use_current_a: float = 0.5):
        super().__init__()
        self.signals = signals
        self.in_use_current_a = in_use_current_a

    def _in_use(self, reading) -> bool:
        v = reading.values
        if reading.component == "status":
            return v.get("state") == "riding"
        return abs(v.get("current_a", 0.0)) > self.in_use_current_a

    def _watched(self, component: str) -> list[tuple[str, tuple[int, int]]]:
        """The watched fields of a component."""
        if self.signals is None:
            return _DEFAULT_BY_COMPONENT.get(component, [])
        return [(f, need) for (c, f), need in self.signals.items() if c == component]

    def _next(self, reading):
        """[(field, new run, need)] for this reading's watched signals; pure."""
        watched = self._watched(reading.component)
        if not watched:
            return []
        runs = self.vehicles_.get(reading.vehicle_id, {})
        out = []
        t = reading.ts.timestamp()
        in_use = self._in_use(reading)
        values, implausible = reading.values, reading.implausible
        for fld, need in watched:
            if fld not in values or (implausible and fld in implausible):
                continue
            if reading.component == "status" and not in_use:
                continue  # a parked vehicle's speed is 0 by right: only riding readings count
            value = values[fld]
            run = runs.get(fld)
            if run is not None and t <= run.t:
                continue
            if run is not None and run.value == value:
                new = _Run(value, in_use, t)
                new.n, new.in_use = run.n + 1, run.in_use + int(in_use)
            else:
                new = _Run(value, in_use, t)
            out.append((fld, new, need))
        return out

    def observe(self, reading, vehicle) -> list:
        """Score first, then learn, updating the runs in place (same result as assess + learn, cheaper)."""
        watched = self._watched(reading.component)
        if not watched:
            return []
        in_use = self._in_use(reading)
        if reading.component == "status" and not in_use:
            return []  # a parked vehicle's speed is 0 by right: only riding readings count
        runs = self.vehicles_.get(reading.vehicle_id)
        if runs is None:
            runs = self.vehicles_[reading.vehicle_id] = {}
        t = reading.ts.timestamp()
        values, implausible = reading.values, reading.implausible
        worst = None
        for fld, (need_n, need_use) in watched:
            value = values.get(fld)
            if value is None or (implausible and fld in implausible):
                continue
            run = runs.get(fld)
            if run is None:
                run = runs[fld] = _Run(value, in_use, t)
            elif t <= run.t:
                continue
            elif run.value == value:
                run.n, run.in_use, run.t = run.n + 1, run.in_use + int(in_use), t
            else:
                run.value, run.n, run.in_use, run.t = value, 1, int(in_use), t
            score = min(run.n / need_n, run.in_use / need_use if need_use else 1.0)
            if worst is None or score > worst[0]:
                worst = (score, fld, run)
        if worst is None or (worst[0] < 1.0 and reading.vehicle_id not in self.flagged_):
            return []
        return self.report(reading.vehicle_id, reading.ts, self._verdict(reading, *worst))

    def assess(self, reading, vehicle) -> Verdict | None:
        worst = None
        for fld, run, (need_n, need_use) in self._next(reading):
            score = min(run.n / need_n, run.in_use / need_use if need_use else 1.0)
            if worst is None or score > worst[0]:
                worst = (score, fld, run)
        return None if worst is None else self._verdict(reading, *worst)

    def _verdict(self, reading, score: float, fld: str, run: _Run) -> Verdict:
        if score < 1.0:
            return CLEAR if score < 0.5 else Verdict(score)
        return Verdict(score, min(0.95, 0.6 + 0.05 * run.n),
                       {"component": reading.component, "field": fld, "value": run.value,
                        "identical_readings": run.n, "in_use_readings": run.in_use})

    def _learn(self, reading, vehicle, verdict) -> None:
        updates = self._next(reading)
        if updates:
            runs = self.vehicles_.setdefault(reading.vehicle_id, {})
            for fld, run, _ in updates:
                runs[fld] = run
