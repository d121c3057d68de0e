"""VEHICLE_SILENT: no telemetry for longer than expected while the vehicle is not marked offline.

Every reading (any component) refreshes the vehicle's last-heard time: its ts, or the clock's time
when it arrived if that is later (a replay or a flushed buffer brings old readings: the vehicle has
just spoken all the same); `presence` (the retained
`online`/`offline` topic, a vehicle's Last Will) says whether silence is explained. The clock hook
`tick(now)` raises the finding: a vehicle reports at least every 15 minutes while online, so an hour
of silence is a vehicle that lost power, its modem, or its way.
"""
from __future__ import annotations

from datetime import datetime

from .base import CLEAR, Detector, Verdict


class VehicleSilentDetector(Detector):
    name = "vehicle_silent"
    component = "any"
    fault_code = "VEHICLE_SILENT"
    clears = True

    def __init__(self, silent_after_s: float = 3600.0, check_every_s: float = 300.0):
        super().__init__()
        self.silent_after_s = silent_after_s
        self.check_every_s = check_every_s
        self.last_check_ = 0.0
        self.now_ = 0.0  # the clock's last time (tick)

    def assess(self, reading, vehicle) -> Verdict | None:
        return CLEAR  # it spoke

    def _learn(self, reading, vehicle, verdict) -> None:
        t = max(reading.ts.timestamp(), self.now_)
        heard = self.vehicles_.get(reading.vehicle_id)
        if heard is None:
            self.vehicles_[reading.vehicle_id] = [t, True]
        elif t > heard[0]:
            heard[0] = t

    def observe(self, reading, vehicle) -> list:
        """Every reading is heard: the hot path does only that (same result as assess + learn)."""
        self._learn(reading, vehicle, CLEAR)
        if reading.vehicle_id in self.flagged_:
            return self.report(reading.vehicle_id, reading.ts, CLEAR)
        return []

    def presence(self, vehicle_id: str, online: bool, at: datetime) -> None:
        """The vehicle's presence changed (offline: its silence is explained until it is back)."""
        heard = self.vehicles_.get(vehicle_id)
        t = at.timestamp()
        if heard is None:
            self.vehicles_[vehicle_id] = [t, online]
            return
        heard[1] = online
        if online and t > heard[0]:
            heard[0] = t  # back online: the silence clock restarts

    def silent_for(self, vehicle_id: str, now: datetime) -> float | None:
        heard = self.vehicles_.get(vehicle_id)
        if heard is None or not heard[1]:
            return None
        return now.timestamp() - heard[0]

    def tick(self, now: datetime) -> list:
        t = now.timestamp()
        self.now_ = max(self.now_, t)
        if t - self.last_check_ < self.check_every_s:
            return []
        self.last_check_ = t
        out = []
        limit = self.silent_after_s
        for vid, (last, online) in self.vehicles_.items():
            if online and t - last > limit and vid not in self.flagged_:
                quiet = t - last
                out += self.report(vid, now, Verdict(quiet / limit, min(0.95, 0.5 + 0.1 * quiet / limit),
                                                     {"silent_minutes": round(quiet / 60, 1),
                                                      "last_heard": datetime.fromtimestamp(last, now.tzinfo)
                                                      .isoformat()}))
        return out
