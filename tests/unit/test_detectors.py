"""Each detector fires on its fault and stays quiet on its healthy look-alike (pure, no I/O)."""
from __future__ import annotations

import math
import random
from datetime import timedelta

from detectors.base import Clearance, Finding, VehicleInfo
from detectors.brake_weak import BrakeWeakDetector
from detectors.capacity_fade import CapacityFadeDetector
from detectors.cell_imbalance import CellImbalanceDetector
from detectors.fleet_outlier import FleetOutlierDetector
from detectors.overtemp import BatteryOvertempDetector
from detectors.pad_wear import BrakePadWearDetector
from detectors.self_discharge import SelfDischargeDetector
from detectors.sensor_stuck import SensorStuckDetector
from detectors.service_due import ServiceDueDetector
from detectors.silent import VehicleSilentDetector
from detectors.slow_leak import SlowLeakDetector
from detectors.tirecalc import compensated_kpa
from detectors.underinflated import TireUnderinflatedDetector
from fleet_contract.vehicle_models import MODELS

from .detector_streams import BIKE, MODEL, T0, at, battery, brakes, status, tires


def findings(detector, readings, vehicle=BIKE):
    return [f for r in readings for f in detector.observe(r, vehicle) if isinstance(f, Finding)]


def test_overtemp_catches_a_fast_rise_on_the_next_reading_long_before_the_limit():
    d = BatteryOvertempDetector()
    assert findings(d, [battery(0, temp=15.0)]) == []
    [f] = findings(d, [battery(15, temp=60.0 - 0.1)])  # 3 K/min while parked, still under the limit
    assert f.fault_code == "BATTERY_OVERTEMP" and f.evidence["rise_k_per_min"] > 2.5


def test_overtemp_ignores_a_normal_ride_and_an_implausible_sensor():
    d = BatteryOvertempDetector()
    ride = [battery(i / 2, current=8.0, temp=12 + 0.3 * i) for i in range(20)]  # 0.6 K/min under load
    assert findings(d, ride) == []
    assert findings(d, [battery(11, temp=900.0, implausible=["temp_c"])]) == []


def test_cell_imbalance_learns_the_pack_then_sees_it_widen():
    d = CellImbalanceDetector()
    base = [battery(i * 15, spread=0.012 + 0.001 * (i % 3)) for i in range(30)]
    assert findings(d, base) == []
    widening = [battery(450 + i * 15, spread=0.012 + 0.001 * i) for i in range(40)]
    [f] = findings(d, widening)
    assert f.evidence["cell_spread_v"] - f.evidence["baseline_v"] >= 0.025


def _rides(health: float, days: float, vid="EB-1", seed=3):
    """Rides and night charges of a pack with state of health `health` (coulomb-exact soc)."""
    rng = random.Random(seed)
    out, soc, minute = [], 90.0, 0.0
    cap = MODEL.battery_capacity_ah * health
    while minute < days * 1440:
        riding = int(minute) % 240 < 20
        charging = not riding and soc < 40
        current = 6.0 + rng.uniform(-1, 1) if riding else (-4.5 if charging else 0.01)
        soc = min(100.0, soc - current * 30 / 36 / cap)
        out.append(battery(minute, soc + rng.gauss(0, 0.05), round(current, 2), vid=vid))
        minute += 0.5 if riding or charging else 15
    return out


def test_capacity_fade_flags_a_pack_under_the_warning_level_with_a_forecast():
    d = CapacityFadeDetector()
    [f, *_] = findings(d, _rides(0.83, 4))
    assert f.fault_code == "BATTERY_CAPACITY_FADE"
    assert abs(f.evidence["state_of_health"] - 0.83) < 0.02
    healthy = CapacityFadeDetector()
    assert findings(healthy, _rides(0.95, 4)) == []
    soh = healthy.vehicles_["EB-1"].samples
    assert len(soh) >= 8 and all(abs(h - 0.95) < 0.03 for _, h in soh)


def test_self_discharge_is_charge_lost_while_parked_beyond_what_the_current_explains():
    leak = [battery(i * 15, soc=80 - 0.8 * i / 4) for i in range(16)]  # 0.8 %/h at ~0 A
    [f] = findings(SelfDischargeDetector(), leak)
    assert f.evidence["loss_pct_per_hour"] > 0.6
    idle = [battery(i * 15, soc=80 - 0.07 * i / 4) for i in range(16)]
    assert findings(SelfDischargeDetector(), idle) == []


def _pads(rate_mm_day: float, days: float, start: float = 3.5, step_at: float | None = None):
    out = []
    for h in range(int(days * 24)):
        mm = start - rate_mm_day * h / 24
        if step_at is not None and h / 24 >= step_at:
            mm -= 1.0
        out.append(brakes(h * 60, front=mm, rear=3.3))
    return out


def test_pad_wear_forecasts_the_minimum_and_ignores_normal_wear_and_steps():
    d = BrakePadWearDetector()
    [f, *_] = findings(d, _pads(0.3, 4))
    assert f.predicted_failure_at is not None and f.fault_code == "BRAKE_PAD_WEAR"
    truth = T0 + timedelta(days=(3.5 - MODEL.pad_min_mm) / 0.3)
    assert abs((f.predicted_failure_at - truth).total_seconds()) < 86400  # within a day of the true crossing
    assert 0.5 <= f.confidence <= 1.0
    assert findings(BrakePadWearDetector(), _pads(0.02, 6)) == []
    assert findings(BrakePadWearDetector(), _pads(0.02, 6, step_at=3.0)) == []


def _leaking_tire(loss_per_day: float, days: float):
    """Tire readings with a daily temperature swing: raw pressure moves with it, the 20 °C pressure decays."""
    out = []
    for k in range(int(days * 48)):
        t_days = k / 48
        temp = 8 + 6 * math.sin(2 * math.pi * t_days)
        p20 = 350 * (1 - loss_per_day * t_days)

        def raw(p):
            return (p + 101.325) * (temp + 273.15) / 293.15 - 101.325
        out.append(tires(k * 30, front=raw(352.0), rear=raw(p20), temp=round(temp, 1)))
    return out


def test_slow_leak_is_temperature_compensated_and_forecast():
    [f, *_] = findings(SlowLeakDetector(), _leaking_tire(0.03, 3))
    assert f.evidence["position"] == "rear" and f.predicted_failure_at is not None
    assert 2.0 < f.evidence["loss_pct_per_day"] < 4.0
    assert findings(SlowLeakDetector(), _leaking_tire(0.002, 4)) == []  # permeation, with the same swings
    assert abs(compensated_kpa(350.0, 20.0) - 350.0) < 1e-9


def test_underinflated_needs_two_low_readings_and_leaves_flats_alone():
    d = TireUnderinflatedDetector()
    assert findings(d, [tires(0, rear=280.0)]) == []
    [f] = findings(d, [tires(30, rear=281.0)])
    assert f.evidence["position"] == "rear"
    assert findings(TireUnderinflatedDetector(), [tires(i, rear=100.0) for i in range(3)]) == []
    cleared = d.observe(tires(60, rear=350.0), BIKE)
    assert [type(c) for c in cleared] == [Clearance]


def test_brake_weak_compares_deceleration_with_the_lever_input():
    d = BrakeWeakDetector()
    assert findings(d, [brakes(0, decel=0.96 * MODEL.full_decel_mps2 * 0.4, lever=40)]) == []
    [f] = findings(d, [brakes(60, decel=0.58 * MODEL.full_decel_mps2 * 0.4, lever=40)])
    assert f.evidence["efficiency"] < 0.65
    assert findings(BrakeWeakDetector(), [brakes(0, decel=0.1, lever=5)]) == []  # too light to judge


def test_sensor_stuck_needs_identical_values_while_in_use():
    d = SensorStuckDetector()
    ride = [battery(i / 2, current=6.0, temp=21.3) for i in range(20)]
    [f] = findings(d, ride)
    assert f.evidence["field"] == "temp_c"
    parked = [battery(i * 15, current=0.01, temp=10.0, voltage=38.0) for i in range(30)]
    assert findings(SensorStuckDetector(), parked) == []  # steady while parked is not stuck
    riding = [status(i / 2, state="riding", speed=0.0) for i in range(10)]
    assert [f.evidence["field"] for f in findings(SensorStuckDetector(), riding)] == ["speed_kmh"]


def test_silent_vehicle_found_by_the_clock_unless_it_said_it_was_offline():
    d = VehicleSilentDetector()
    d.observe(status(0), BIKE)
    d.observe(status(0, vid="EB-2"), BIKE)
    d.presence("EB-2", False, at(2))
    assert d.tick(at(30)) == []
    [f] = d.tick(at(70))
    assert f.vehicle_id == "EB-1" and f.fault_code == "VEHICLE_SILENT"
    assert [type(c) for c in d.observe(status(80), BIKE)] == [Clearance]


def test_service_due_by_time_or_distance_and_a_service_restarts_the_clock():
    m = MODEL
    by_time = VehicleInfo("EB-1", "ebike", m, "north", T0 - timedelta(days=m.service_interval_days), 1150.0)
    [f] = findings(ServiceDueDetector(), [status(10, odometer=1200.0)], by_time)
    assert f.evidence["reason"] == "time"
    by_km = VehicleInfo("EB-1", "ebike", m, "north", T0 - timedelta(days=5), 1200.0 - m.service_interval_km)
    [f] = findings(ServiceDueDetector(), [status(10, odometer=1200.0)], by_km)
    assert f.evidence["reason"] == "distance"
    d = ServiceDueDetector()
    d.observe(status(10, odometer=1200.0), by_km)
    assert [type(c) for c in d.observe(status(20, odometer=1200.0, state="maintenance"), by_km)] == [Clearance]
    assert findings(d, [status(30, odometer=1201.0)], by_km) == []


def test_service_due_without_registry_history_counts_from_first_seen():
    unknown = VehicleInfo("EB-1", "ebike", MODEL, "north")
    d = ServiceDueDetector()
    assert findings(d, [status(0, odometer=5000.0), status(60, odometer=5000.0 + MODEL.service_interval_km - 1)],
                    unknown) == []
    assert len(findings(d, [status(120, odometer=5000.0 + MODEL.service_interval_km)], unknown)) == 1


def _fleet_day(detector, day: int, heat: dict[str, float], rng: random.Random):
    for hour in range(0, 24, 3):
        for vid, factor in heat.items():
            temp = 10.0
            for k in range(24):  # a 12-minute ride, 30 s readings
                current = 6.0 + rng.uniform(-1, 1)
                temp += (10 + factor * current * current / 4 - temp) * (1 - math.exp(-0.5 / 15))
                minute = day * 1440 + hour * 60 + k / 2
                detector.observe(battery(minute, current=round(current, 2), temp=round(temp + rng.gauss(0, 0.1), 1),
                                         vid=vid), VehicleInfo(vid, "ebike", MODELS["urban-e1"]))
    return detector.tick(at((day + 1) * 1440 + 1))


def test_fleet_outlier_learns_the_peers_and_versions_its_findings():
    rng = random.Random(7)
    heat = {f"EB-{i}": rng.uniform(0.9, 1.1) for i in range(40)}
    heat["EB-HOT"] = 2.0
    d = FleetOutlierDetector(random_state=1)
    d.tick(at(0))
    out = []
    for day in range(4):
        out += _fleet_day(d, day, heat, rng)
    assert {f.vehicle_id for f in out} == {"EB-HOT"}
    assert out[0].evidence["model_version"].startswith("iforest-urban-e1-")
    assert d.score_one(battery(9000, vid="EB-HOT"), BIKE) > d.score_one(battery(9000, vid="EB-3"), BIKE)


def test_overtemp_judges_the_steepest_recent_rise_not_the_largest():
    d = BatteryOvertempDetector()
    warm_up = [battery(i / 2, current=6.0, temp=14.0 + 0.2 * i) for i in range(6)]  # a ride warming a pack
    assert findings(d, warm_up) == []
    runaway = [battery(3 + i / 2, current=6.0, temp=15.0 + 1.5 * (i + 1)) for i in range(2)]  # then 3 K/min
    assert len(findings(d, runaway)) == 1


def test_old_readings_arriving_now_are_a_vehicle_speaking_now():
    d = VehicleSilentDetector()
    d.tick(at(600))
    d.observe(status(0), BIKE)  # a replayed or buffered reading, ten hours old, arriving at 600 min
    assert d.tick(at(640)) == []
    assert [f.fault_code for f in d.tick(at(670))] == ["VEHICLE_SILENT"]


def test_trends_shrug_off_an_outlier_and_a_gap():
    readings = _leaking_tire(0.03, 3)
    readings = readings[:40] + readings[70:]  # fifteen hours offline
    spike = readings[20]
    readings[20] = tires(spike.ts.hour * 60, front=spike.values["pressure_kpa"]["front"], rear=150.0,
                         temp=spike.values["temp_c"])  # one bogus reading
    readings[20].ts = spike.ts
    [f, *_] = findings(SlowLeakDetector(), readings)
    assert 2.0 < f.evidence["loss_pct_per_day"] < 4.0
    pads = _pads(0.02, 6)
    pads[50] = brakes(pads[50].ts.hour * 60, front=0.4, rear=3.3)
    pads[50].ts = _pads(0.02, 6)[50].ts
    assert findings(BrakePadWearDetector(), pads) == []  # one thin reading is not wear


def test_binned_series_drops_an_outlier_but_restarts_on_a_confirmed_step():
    from detectors.trend import BinnedSeries
    s = BinnedSeries(3600, 86400 * 3)
    for h in range(10):
        s.add_guarded(h * 3600, 300.0 - h, 10, 10)
    assert len(s.bins) == 9
    s.add_guarded(10 * 3600, 150.0, 10, 10)   # one bogus reading: held, not added
    s.add_guarded(11 * 3600, 289.0, 10, 10)   # back on the series: the bogus one is dropped
    assert len(s.bins) == 10 and all(y > 280 for _, y in s.bins)
    s.add_guarded(12 * 3600, 350.0, 10, 10)   # pumped up...
    s.add_guarded(13 * 3600, 349.5, 10, 10)   # ...and confirmed: a new series
    assert s.bins == [(12.5 * 3600, 350.0)]


def test_overtemp_learns_how_fast_this_pack_heats_under_load():
    d = BatteryOvertempDetector()
    hard_rides = []
    for ride in range(4):  # 10.5 A from cold: +2.6 K/min at first, as a healthy aged scooter pack does
        temp = 10.0
        for k in range(16):
            temp += 1.3 * math.exp(-k / 30)
            hard_rides.append(battery(ride * 240 + k / 2, current=10.5, temp=round(temp, 1)))
        hard_rides.append(battery(ride * 240 + 60, current=0.01, temp=10.0))
    assert findings(d, hard_rides) == []
    assert d.vehicles_["EB-1"].heating > 0.015
    runaway = [battery(1000, current=5.0, temp=20.0), battery(1000.5, current=5.0, temp=21.5)]
    assert len(findings(d, runaway)) == 1  # 3 K/min at 5 A is far beyond this pack's 5 A heating
