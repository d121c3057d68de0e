"""Rules on physics: a reading crosses a hard limit of its vehicle's model. Pure, no I/O.

Each rule is a small object: `observe(reading, vehicle)` scores the reading first,
then updates the rule's per-vehicle state (`..._` attributes), and returns the
findings it makes. Limits come from the vehicle's model (fleet_contract.vehicle_models);
a vehicle whose model is not known yet is judged by its type's default model,
or by the loosest limits of the fleet.
"""
from __future__ import annotations

from fleet_contract.payload import Reading
from fleet_contract.vehicle_models import MODELS

from .base import Finding, VehicleInfo

LOOSEST_TEMP_LIMIT_C = max(m.pack_temp_limit_c for m in MODELS.values())
LOOSEST_PAD_MIN_MM = min(m.pad_min_mm for m in MODELS.values())


class BatteryOvertempRule:
    """BATTERY_OVERTEMP: pack temperature over the model's limit (an implausible reading is not trusted)."""
    name = "battery_overtemp_limit"
    component = "battery"

    def observe(self, reading: Reading, vehicle: VehicleInfo) -> list[Finding]:
        if "temp_c" in reading.implausible:
            return []
        limit = vehicle.model.pack_temp_limit_c if vehicle.model else LOOSEST_TEMP_LIMIT_C
        temp = reading.values["temp_c"]
        if temp <= limit:
            return []
        confidence = min(1.0, 0.6 + (temp - limit) / 20)
        return [Finding(reading.vehicle_id, "BATTERY_OVERTEMP", self.name, reading.ts, round(confidence, 2),
                        {"temp_c": temp, "limit_c": limit, "current_a": reading.values["current_a"]})]


class BrakePadWornRule:
    """BRAKE_PAD_WORN: a pad at or under the model's minimum thickness."""
    name = "brake_pad_min"
    component = "brakes"

    def observe(self, reading: Reading, vehicle: VehicleInfo) -> list[Finding]:
        minimum = vehicle.model.pad_min_mm if vehicle.model else LOOSEST_PAD_MIN_MM
        worn = {k: reading.values[k] for k in ("pad_front_mm", "pad_rear_mm")
                if k not in reading.implausible and reading.values[k] <= minimum}
        if not worn:
            return []
        return [Finding(reading.vehicle_id, "BRAKE_PAD_WORN", self.name, reading.ts, 0.95,
                        {**worn, "min_mm": minimum})]


class TireFlatRule:
    """TIRE_FLAT: sudden pressure loss: under half the recommended pressure, or a third lost since the last reading."""
    name = "tire_flat"
    component = "tires"
    absolute_fraction = 0.5
    drop_fraction = 0.33

    def __init__(self):
        self.last_kpa_: dict[tuple[str, str], float] = {}

    def observe(self, reading: Reading, vehicle: VehicleInfo) -> list[Finding]:
        findings: list[Finding] = []
        recommended = vehicle.model.tire_recommended_kpa if vehicle.model else None
        for pos, kpa in reading.values["pressure_kpa"].items():
            if f"pressure_kpa.{pos}" in reading.implausible:
                continue
            key = (reading.vehicle_id, pos)
            before = self.last_kpa_.get(key)
            flat_abs = recommended is not None and kpa < self.absolute_fraction * recommended
            flat_drop = before is not None and before > 0 and (before - kpa) / before > self.drop_fraction
            if flat_abs or flat_drop:
                evidence = {"position": pos, "pressure_kpa": kpa}
                if before is not None:
                    evidence["previous_kpa"] = before
                if recommended is not None:
                    evidence["recommended_kpa"] = recommended
                findings.append(Finding(reading.vehicle_id, "TIRE_FLAT", self.name, reading.ts,
                                        0.95 if flat_abs else 0.8, evidence))
            self.last_kpa_[key] = kpa
        return findings[:1]  # one ticket per vehicle and code: the first flat tire carries the evidence


class SensorImplausibleRule:
    """SENSOR_IMPLAUSIBLE: a reading with values no working sensor can give (stored, flagged at ingest)."""
    name = "sensor_implausible"
    component = "any"

    def observe(self, reading: Reading, vehicle: VehicleInfo) -> list[Finding]:
        if not reading.implausible:
            return []
        values = {k: reading.values.get(k.split(".")[0]) for k in reading.implausible}
        return [Finding(reading.vehicle_id, "SENSOR_IMPLAUSIBLE", self.name, reading.ts, 0.9,
                        {"component": reading.component, "fields": reading.implausible, "values": values})]


def default_rules() -> list:
    return [BatteryOvertempRule(), BrakePadWornRule(), TireFlatRule(), SensorImplausibleRule()]
