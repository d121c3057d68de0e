"""FLEET_OUTLIER (learned): a vehicle whose battery heats unlike its peers of the same model.

Per vehicle and day, ride pairs (consecutive riding readings, current flowing) give two heating
features, pooled over the last `pool_days`: the net temperature rise per I²·t of heat drawn, and the
I²-coefficient of a small least-squares thermal model (ΔT = a·I²Δt − b·T·Δt + c·Δt). Once a simulated
or real day is over (`tick`), one scikit-learn IsolationForest per vehicle model is refitted on the
peers' pooled features of the last `history_days` (flagged vehicles left out, so a failing vehicle
never becomes normal) and scores each vehicle's latest day. IsolationForest flags extremes of any
kind, so a finding also needs a robust z-score of at least `min_z` on one feature against the
peers (median/MAD), averaged over both features so that they must agree: the learned model ranks,
the z-gate keeps healthy extremes out. A vehicle-day whose pack temperature never moved on a ride is a
stuck sensor (SENSOR_STUCK's business), not a heating behaviour, and is left out. A finding needs
`days_needed` anomalous days in a row and carries the `model_version` that scored it.
"""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
from sklearn.ensemble import IsolationForest

from .base import Detector, Verdict

DAY_S = 86400


class _Vehicle:
    __slots__ = ("model", "prev", "days")

    def __init__(self, model: str):
        self.model = model
        self.prev: tuple[float, float] | None = None
        self.days: dict[int, list[float]] = {}  # day -> [n, sum I²dt, sum dT, 6 normal-equation terms, 3 rhs, moved]


def features(sums: list[float]) -> list[float] | None:
    """(rise per heat, fitted heat coefficient), both per 1,000 A²·s, from pooled sums; None if singular."""
    n, heat, rise, a11, a12, a13, a22, a23, a33, b1, b2, b3, moved = sums
    if heat <= 0 or moved < 0.1 * n:
        return None
    m = np.array([[a11, a12, a13], [a12, a22, a23], [a13, a23, a33]])
    try:
        coef = np.linalg.solve(m + 1e-9 * np.eye(3) * (abs(m).max() or 1.0), np.array([b1, b2, b3]))
    except np.linalg.LinAlgError:
        return None
    return [1e3 * rise / heat, 1e3 * float(coef[0])]


class FleetOutlierDetector(Detector):
    name = "fleet_peer_model"
    component = "battery"
    fault_code = "FLEET_OUTLIER"
    clears = False

    def __init__(self, pool_days: int = 2, history_days: int = 7, min_pairs: int = 30, min_peers: int = 15,
                 threshold: float = 0.55, min_z: float = 4.0, days_needed: int = 2, n_estimators: int = 100,
                 max_pair_s: float = 65.0, random_state: int = 0):
        super().__init__()
        self.pool_days = pool_days
        self.history_days = history_days
        self.min_pairs = min_pairs
        self.min_peers = min_peers
        self.threshold = threshold
        self.min_z = min_z
        self.days_needed = days_needed
        self.n_estimators = n_estimators
        self.max_pair_s = max_pair_s
        self.random_state = random_state
        self.day_: int | None = None
        self.history_: list[tuple[int, str, str, list[float]]] = []  # (day, vehicle, model, features)
        self.scores_: dict[str, float] = {}
        self.streak_: dict[str, int] = {}
        self.versions_: dict[str, str] = {}

    def assess(self, reading, vehicle) -> Verdict | None:
        return None  # judged once a day against the peers, in tick()

    def score_one(self, reading, vehicle) -> float:
        """The vehicle's anomaly score from the last daily scoring (0.0 before any)."""
        return self.scores_.get(reading.vehicle_id, 0.0)

    def _learn(self, reading, vehicle, verdict) -> None:
        imp = reading.implausible
        if vehicle.model is None or (imp and ("temp_c" in imp or "current_a" in imp)):
            return
        v = self.vehicles_.get(reading.vehicle_id)
        if v is None:
            v = self.vehicles_[reading.vehicle_id] = _Vehicle(vehicle.model.name)
        t, temp, current = reading.ts.timestamp(), reading.values["temp_c"], reading.values["current_a"]
        prev = v.prev
        if prev is not None and t <= prev[0]:
            return
        v.prev = (t, temp)
        if prev is None or t - prev[0] > self.max_pair_s or current < 0.5:
            return
        dt = t - prev[0]
        x1, x2, x3, y = current * current * dt, -prev[1] * dt, dt, temp - prev[1]
        day = int(t // DAY_S)
        s = v.days.get(day)
        if s is None:
            s = v.days[day] = [0.0] * 13
            for old in [d for d in v.days if d <= day - self.pool_days - 1]:
                del v.days[old]
        s[0] += 1
        s[1] += x1
        s[2] += y
        s[3] += x1 * x1
        s[4] += x1 * x2
        s[5] += x1 * x3
        s[6] += x2 * x2
        s[7] += x2 * x3
        s[8] += x3 * x3
        s[9] += x1 * y
        s[10] += x2 * y
        s[11] += x3 * y
        s[12] += y != 0.0

    def _pooled(self, v: _Vehicle, day: int) -> list[float] | None:
        total = [0.0] * 13
        for d, s in v.days.items():
            if day - self.pool_days < d <= day:
                total = [a + b for a, b in zip(total, s)]
        return features(total) if total[0] >= self.min_pairs else None

    def tick(self, now: datetime) -> list:
        day = int(now.timestamp() // DAY_S)
        if self.day_ is None:
            self.day_ = day
            return []
        if day <= self.day_:
            return []
        self.day_ = day
        return self._score_day(day - 1, now)

    def _score_day(self, day: int, now: datetime) -> list:
        today: dict[str, list[tuple[str, list[float]]]] = {}
        for vid, v in self.vehicles_.items():
            f = self._pooled(v, day)
            if f is not None:
                today.setdefault(v.model, []).append((vid, f))
                self.history_.append((day, vid, v.model, f))
        self.history_ = [h for h in self.history_ if h[0] > day - self.history_days]
        out = []
        stamp = datetime.fromtimestamp((day + 1) * DAY_S, timezone.utc).strftime("%Y%m%d")
        for model, rows in sorted(today.items()):
            train = np.array([h[3] for h in self.history_ if h[2] == model and h[1] not in self.flagged_])
            if len(rows) < self.min_peers or len(train) < self.min_peers:
                continue
            forest = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state).fit(train)
            version = f"iforest-{model}-{stamp}-n{len(train)}"
            self.versions_[model] = version
            x = np.array([f for _, f in rows])
            anomaly = -forest.score_samples(x)  # scikit-learn is lower-is-worse; ours is higher-is-worse
            median = np.median(train, axis=0)
            mad = np.median(np.abs(train - median), axis=0) * 1.4826 + 1e-9
            z = (x - median) / mad
            for (vid, f), a, zrow in zip(rows, anomaly, z):
                self.scores_[vid] = float(a)
                hit = a >= self.threshold and abs(float(np.mean(zrow))) >= self.min_z
                self.streak_[vid] = self.streak_.get(vid, 0) + 1 if hit else 0
                if self.streak_[vid] >= self.days_needed:
                    out += self.report(vid, now, Verdict(
                        1.0 + float(a), round(min(0.99, float(a)), 3),
                        {"model_version": version, "anomaly_score": round(float(a), 3),
                         "rise_per_heat": round(f[0], 4), "heat_coefficient": round(f[1], 4),
                         "peer_median": [round(float(m), 4) for m in median],
                         "z": [round(float(q), 2) for q in zrow], "peers": len(rows)}))
        return out
