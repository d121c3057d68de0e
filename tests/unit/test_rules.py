"""The physics rules: each fires on its fault and stays quiet on healthy readings."""
from datetime import datetime, timedelta, timezone

from detectors.base import VehicleInfo
from detectors.rules import BatteryOvertempRule, BrakePadWornRule, SensorImplausibleRule, TireFlatRule
from fleet_contract.payload import Reading
from fleet_contract.vehicle_models import MODELS

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
BIKE = VehicleInfo("EB-1", "ebike", MODELS["urban-e1"], "north")
UNKNOWN = VehicleInfo("EB-2")


def battery(temp_c, implausible=()):
    return Reading("EB-1", "battery", T0, {"soc_pct": 60, "voltage_v": 37, "current_a": 8, "temp_c": temp_c,
                                           "cell_v_min": 3.7, "cell_v_max": 3.72}, None, list(implausible))


def test_overtemp_fires_over_the_model_limit_only():
    rule = BatteryOvertempRule()
    assert rule.observe(battery(45.0), BIKE) == []
    assert rule.observe(battery(60.0), BIKE) == []
    [f] = rule.observe(battery(72.5), BIKE)
    assert f.fault_code == "BATTERY_OVERTEMP" and f.evidence["temp_c"] == 72.5 and f.evidence["limit_c"] == 60.0
    assert 0.6 < f.confidence <= 1.0
    assert rule.observe(battery(80.0), BIKE) == []  # the same standing fault is not re-reported at once
    assert BatteryOvertempRule().observe(battery(80.0), UNKNOWN)[0].evidence["limit_c"] == 60.0  # no meta yet


def test_overtemp_ignores_an_implausible_sensor():
    assert BatteryOvertempRule().observe(battery(900.0, ["temp_c"]), BIKE) == []


def test_pad_worn_at_or_under_minimum():
    rule = BrakePadWornRule()
    healthy = Reading("EB-1", "brakes", T0, {"pad_front_mm": 2.2, "pad_rear_mm": 1.8})
    worn = Reading("EB-1", "brakes", T0, {"pad_front_mm": 2.2, "pad_rear_mm": 0.95})
    assert rule.observe(healthy, BIKE) == []
    [f] = rule.observe(worn, BIKE)
    assert f.evidence == {"pad_rear_mm": 0.95, "min_mm": 1.0}


def tires(kpa: dict, minutes=0):
    return Reading("EB-1", "tires", T0 + timedelta(minutes=minutes), {"pressure_kpa": kpa})


def test_flat_tire_by_sudden_drop_and_by_absolute_pressure():
    rule = TireFlatRule()
    assert rule.observe(tires({"front": 350, "rear": 348}), BIKE) == []
    assert rule.observe(tires({"front": 340, "rear": 345}, 5), BIKE) == []  # temperature swing: normal
    [f] = rule.observe(tires({"front": 200, "rear": 345}, 10), BIKE)
    assert f.evidence["position"] == "front" and f.evidence["previous_kpa"] == 340
    fresh = TireFlatRule()
    [g] = fresh.observe(tires({"front": 120, "rear": 345}), BIKE)  # no history: absolute threshold
    assert g.confidence == 0.95
    assert TireFlatRule().observe(tires({"front": 120, "rear": 345}), UNKNOWN) == []  # no model: no absolute limit


def test_sensor_implausible():
    [f] = SensorImplausibleRule().observe(battery(900.0, ["temp_c"]), BIKE)
    assert f.fault_code == "SENSOR_IMPLAUSIBLE" and f.evidence["values"] == {"temp_c": 900.0}
    assert SensorImplausibleRule().observe(battery(30.0), BIKE) == []
