"""Every fault code leaves its signature in the telemetry and one matching ground-truth line."""
from datetime import datetime, timedelta

import numpy as np
import pytest

from fleet_contract.codes import FAULT_CODES
from simulator.engine import FaultSpec, SimConfig, Simulation
from simulator.faults import random_plan
from simulator.physics import gauge_ref
from simulator.readings import by_ts, collect

ONSET = timedelta(hours=12)
SPECS = [
    FaultSpec("EB-00001", "BATTERY_OVERTEMP", ONSET),
    FaultSpec("EB-00002", "BATTERY_CELL_IMBALANCE", ONSET, rate=0.08),
    FaultSpec("EB-00003", "BATTERY_CAPACITY_FADE", ONSET, rate=0.01),
    FaultSpec("EB-00004", "BATTERY_SELF_DISCHARGE", ONSET),
    FaultSpec("EB-00005", "BRAKE_PAD_WEAR", ONSET, rate=20),
    FaultSpec("EB-00006", "BRAKE_PAD_WORN", ONSET),
    FaultSpec("EB-00007", "BRAKE_WEAK", ONSET),
    FaultSpec("EB-00008", "TIRE_SLOW_LEAK", ONSET, rate=0.1, params={"position": "rear"}),
    FaultSpec("CA-00001", "TIRE_FLAT", ONSET, params={"position": "fl"}),
    FaultSpec("EB-00009", "TIRE_UNDERINFLATED", ONSET, params={"position": "front"}),
    FaultSpec("EB-00010", "SENSOR_STUCK", ONSET, params={"component": "battery", "field": "temp_c"}),
    FaultSpec("EB-00011", "SENSOR_IMPLAUSIBLE", ONSET, rate=0.5,
              params={"component": "battery", "field": "soc_pct", "value": 150.0}),
    FaultSpec("ES-00001", "VEHICLE_SILENT", ONSET),
    FaultSpec("EB-00012", "FLEET_OUTLIER", ONSET, rate=3.0),
    FaultSpec("EB-00013", "SERVICE_DUE", timedelta(hours=20)),
]


@pytest.fixture(scope="module")
def run():
    sim = Simulation(SimConfig(vehicles=60, duration=timedelta(days=3), seed=5, faults=SPECS,
                               service_delay_h=(1.0, 2.0)))
    series = collect(sim.messages())
    onset = sim.config.start + ONSET
    return sim, series, onset


def ts(r):
    return datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))


def after(rows, when):
    return [r for r in by_ts(rows) if ts(r) >= when]


def truth_of(sim, vid, code):
    rows = [t for t in sim.truth if t["vehicle_id"] == vid and t["fault_code"] == code]
    assert len(rows) == 1, (vid, code, rows)
    return rows[0]


def test_every_code_is_covered_and_has_one_truth_line(run):
    sim, _, _ = run
    assert {s.fault_code for s in SPECS} == set(FAULT_CODES)
    for spec in SPECS:
        t = truth_of(sim, spec.vehicle_id, spec.fault_code)
        assert t["onset"] == (sim.config.start + spec.onset).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert set(t) >= {"vehicle_id", "fault_code", "onset", "failure_at"}


def test_overtemp_crosses_the_limit_within_minutes(run):
    sim, series, onset = run
    v = sim.by_id["EB-00001"]
    bat = after(series[("EB-00001", "battery")], onset)
    hot = [r for r in bat if r["temp_c"] > v.model.pack_temp_limit_c]
    assert hot and ts(hot[0]) - onset < timedelta(minutes=40)
    t = truth_of(sim, "EB-00001", "BATTERY_OVERTEMP")
    assert t["failure_observed"] and t["failure_at"] <= hot[0]["ts"]


def test_cell_imbalance_widens_past_the_limit(run):
    sim, series, onset = run
    bat = after(series[("EB-00002", "battery")], onset)
    spread = [r["cell_v_max"] - r["cell_v_min"] for r in bat]
    assert spread[0] < 0.05 and spread[-1] > sim.by_id["EB-00002"].model.cell_spread_limit_v
    assert truth_of(sim, "EB-00002", "BATTERY_CELL_IMBALANCE")["failure_observed"]


def _capacity_ah(rows):
    ah = dsoc = 0.0
    for a, b in zip(rows, rows[1:]):
        gap = (ts(b) - ts(a)).total_seconds()
        if b["current_a"] > 0.5 and gap <= 31:
            ah += b["current_a"] * gap / 3600
            dsoc += a["soc_pct"] - b["soc_pct"]
    return ah / (dsoc / 100)


def test_capacity_fade_shows_in_coulomb_counting(run):
    sim, series, onset = run
    nominal = sim.by_id["EB-00003"].model.battery_capacity_ah
    assert _capacity_ah(after(series[("EB-00003", "battery")], onset)) < 0.87 * nominal
    for vid in ("EB-00020", "EB-00021", "EB-00022"):
        assert _capacity_ah(by_ts(series[(vid, "battery")])) > 0.88 * sim.by_id[vid].model.battery_capacity_ah
    assert truth_of(sim, "EB-00003", "BATTERY_CAPACITY_FADE")["failure_at"] is not None


def _parked_drain_pct_per_h(rows):
    drops = []
    for a, b in zip(rows, rows[1:]):
        hours = (ts(b) - ts(a)).total_seconds() / 3600
        if abs(a["current_a"]) < 0.1 and abs(b["current_a"]) < 0.1 and 0.2 < hours < 0.3 and b["soc_pct"] <= a["soc_pct"]:
            drops.append((a["soc_pct"] - b["soc_pct"]) / hours)
    return np.mean(drops)


def test_self_discharge_while_parked_with_no_current(run):
    sim, series, onset = run
    assert _parked_drain_pct_per_h(after(series[("EB-00004", "battery")], onset)) > 0.5
    assert _parked_drain_pct_per_h(by_ts(series[("EB-00020", "battery")])) < 0.2


def _pad_rate(rows, key="pad_front_mm"):
    days = (ts(rows[-1]) - ts(rows[0])).total_seconds() / 86400
    return (rows[0][key] - rows[-1][key]) / days


def test_pad_wear_accelerates_and_reaches_minimum_eventually(run):
    sim, series, onset = run
    rows = after(series[("EB-00005", "brakes")], onset)
    assert _pad_rate(rows) > 0.15 > 0.06 > _pad_rate(by_ts(series[("EB-00020", "brakes")]))
    t = truth_of(sim, "EB-00005", "BRAKE_PAD_WEAR")
    assert t["failure_at"] > t["onset"]


def test_pad_worn_is_under_minimum_from_onset(run):
    sim, series, onset = run
    rows = after(series[("EB-00006", "brakes")], onset)
    assert rows and ts(rows[0]) - onset < timedelta(minutes=1)
    assert all(r["pad_front_mm"] <= sim.by_id["EB-00006"].model.pad_min_mm for r in rows)
    t = truth_of(sim, "EB-00006", "BRAKE_PAD_WORN")
    assert t["failure_at"] == t["onset"]


def _decel_ratio(rows, model):
    return np.median([r["decel_mps2"] / (model.full_decel_mps2 * r["lever_pct"] / 100)
                      for r in rows if "decel_mps2" in r])


def test_weak_brake_decelerates_less_for_the_same_lever(run):
    sim, series, onset = run
    model = sim.by_id["EB-00007"].model
    rows = by_ts(series[("EB-00007", "brakes")])
    before = [r for r in rows if ts(r) < onset]
    late = [r for r in rows if ts(r) > onset + timedelta(hours=12)]
    assert _decel_ratio(before, model) > 0.9 and _decel_ratio(late, model) < 0.7


def test_slow_leak_decays_compensated_pressure(run):
    sim, series, onset = run
    rows = after(series[("EB-00008", "tires")], onset)
    comp = [gauge_ref(r["pressure_kpa"]["rear"], r["temp_c"]) for r in rows]
    front = [gauge_ref(r["pressure_kpa"]["front"], r["temp_c"]) for r in rows]
    assert comp[-1] < 0.85 * comp[0] and front[-1] > 0.97 * front[0]
    t = truth_of(sim, "EB-00008", "TIRE_SLOW_LEAK")
    assert t["position"] == "rear" and t["failure_at"] > t["onset"]


def test_flat_and_underinflated_tires(run):
    sim, series, onset = run
    flat = after(series[("CA-00001", "tires")], onset)
    rec = sim.by_id["CA-00001"].model.tire_recommended_kpa
    assert flat and ts(flat[0]) - onset < timedelta(minutes=1)
    assert all(r["pressure_kpa"]["fl"] < 0.3 * rec for r in flat)
    assert all(r["pressure_kpa"]["fr"] > 0.85 * rec for r in flat)
    under = after(series[("EB-00009", "tires")], onset)
    rec = sim.by_id["EB-00009"].model.tire_recommended_kpa
    assert all(0.65 * rec < r["pressure_kpa"]["front"] < 0.85 * rec for r in under)


def test_stuck_sensor_is_frozen_while_riding(run):
    sim, series, onset = run
    rows = after(series[("EB-00010", "battery")], onset)
    riding = [r for r in rows if r["current_a"] > 0.5]
    assert len(riding) > 20 and len({r["temp_c"] for r in rows}) == 1
    assert len({r["voltage_v"] for r in riding}) > 10


def test_implausible_values_appear(run):
    sim, series, onset = run
    rows = after(series[("EB-00011", "battery")], onset)
    assert any(r["soc_pct"] == 150.0 for r in rows)
    assert not any(r["soc_pct"] > 100 for r in by_ts(series[("EB-00011", "battery")]) if ts(r) < onset)


def test_silent_vehicle_stops_without_going_offline(run):
    sim, series, onset = run
    late = onset + timedelta(seconds=121)  # a reading delayed in the network may still arrive
    for (vid, comp), rows in series.items():
        if vid == "ES-00001":
            assert all(r["_sent_at"] <= late for r in rows), comp
    assert series[("ES-00001", "presence")][-1]["payload"] == b"online"


def test_fleet_outlier_runs_hotter_than_its_peers_but_under_limits(run):
    sim, series, onset = run
    model = sim.by_id["EB-00012"].model
    peers = [v.vehicle_id for v in sim.vehicles if v.model == model and v.vehicle_id > "EB-00013"]

    def ride_heating(vid):  # mean pack temperature rise since the start of each ride
        rises, base = [], None
        for r in after(series[(vid, "battery")], onset):
            if r["current_a"] > 0.5:
                base = r["temp_c"] if base is None else base
                rises.append(r["temp_c"] - base)
            else:
                base = None
        return np.mean(rises)

    assert ride_heating("EB-00012") > 1.25 * max(ride_heating(p) for p in peers)
    assert max(r["temp_c"] for r in series[("EB-00012", "battery")]) < model.pack_temp_limit_c - 10


def test_service_due_then_maintenance(run):
    sim, series, onset = run
    t = truth_of(sim, "EB-00013", "SERVICE_DUE")
    assert t["reason"] == "time"
    states = [r["state"] for r in after(series[("EB-00013", "status")], datetime.fromisoformat(t["onset"]))]
    assert "maintenance" in states


def test_random_plan_is_at_most_one_fault_per_vehicle_and_deterministic():
    sim = Simulation(SimConfig(vehicles=200, duration=timedelta(days=10), seed=3))
    a = random_plan(sim.vehicles, timedelta(days=10), 0.5, 3)
    b = random_plan(sim.vehicles, timedelta(days=10), 0.5, 3)
    assert a == b and 60 < len(a) < 140
    assert len({s.vehicle_id for s in a}) == len(a)
    assert all(timedelta(days=0.5) <= s.onset <= timedelta(days=6) for s in a)
    assert "SERVICE_DUE" not in {s.fault_code for s in a}


def test_bad_specs_are_one_line_value_errors():
    with pytest.raises(ValueError, match="unknown vehicle"):
        Simulation(SimConfig(vehicles=5, faults=[FaultSpec("EB-09999", "TIRE_FLAT", ONSET)]))
    with pytest.raises(ValueError, match="unknown fault code"):
        Simulation(SimConfig(vehicles=5, faults=[FaultSpec("EB-00001", "NOPE", ONSET)]))
    with pytest.raises(ValueError, match="no tire"):
        Simulation(SimConfig(vehicles=5, faults=[FaultSpec("EB-00001", "TIRE_FLAT", ONSET, params={"position": "fl"})]))
