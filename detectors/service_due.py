"""SERVICE_DUE: scheduled service by time or by distance, whichever comes first, per vehicle model.

The starting point is the vehicle's last service, from its `meta` when it gives one
(`VehicleInfo.last_service_at/_km`, CONTRACT section 1), else the first reading seen. A `maintenance`
state reported by the vehicle is a service: the clock restarts.
"""
from __future__ import annotations

from datetime import datetime

from .base import CLEAR, Detector, Verdict


class ServiceDueDetector(Detector):
    name = "service_schedule"
    component = "status"
    fault_code = "SERVICE_DUE"
    clears = True
    refresh = Detector.refresh * 4

    def __init__(self):
        super().__init__()

    def _base(self, reading, vehicle):
        base = self.vehicles_.get(reading.vehicle_id)
        if base is not None:
            return base
        t, odo = reading.ts.timestamp(), reading.values["odometer_km"]
        at = vehicle.last_service_at.timestamp() if vehicle.last_service_at else t
        km = vehicle.last_service_km if vehicle.last_service_km is not None else odo
        return (at, km)

    def assess(self, reading, vehicle) -> Verdict | None:
        if vehicle.model is None or "odometer_km" in reading.implausible:
            return None
        if reading.values.get("state") == "maintenance":
            return CLEAR
        base_t, base_km = self._base(reading, vehicle)
        days = (reading.ts.timestamp() - base_t) / 86400
        km = reading.values["odometer_km"] - base_km
        m = vehicle.model
        by_time, by_km = days / m.service_interval_days, km / m.service_interval_km
        score = max(by_time, by_km)
        if score < 1.0:
            return CLEAR
        return Verdict(score, 0.99, {"reason": "time" if by_time >= by_km else "distance",
                                     "days_since_service": round(days, 1), "km_since_service": round(km, 1),
                                     "interval_days": m.service_interval_days, "interval_km": m.service_interval_km,
                                     "last_service_at": datetime.fromtimestamp(base_t, reading.ts.tzinfo).isoformat()})

    def _learn(self, reading, vehicle, verdict) -> None:
        if vehicle.model is None or "odometer_km" in reading.implausible:
            return
        if reading.values.get("state") == "maintenance":
            self.vehicles_[reading.vehicle_id] = (reading.ts.timestamp(), reading.values["odometer_km"])
        elif reading.vehicle_id not in self.vehicles_:
            self.vehicles_[reading.vehicle_id] = self._base(reading, vehicle)
