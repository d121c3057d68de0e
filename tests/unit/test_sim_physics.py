"""Simulator physics: pure functions and the direction of the fleet's state over a short run."""
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from fleet_contract.vehicle_models import MODELS
from simulator.engine import SimConfig, Simulation
from simulator.physics import ambient_c, demand_factor, gauge_at, gauge_ref, ocv_cell_v
from simulator.readings import by_ts, collect


def test_pressure_rises_with_temperature_and_compensation_inverts_it():
    cold, warm = gauge_at(300.0, 0.0), gauge_at(300.0, 40.0)
    assert cold < 300.0 < warm
    # ideal gas on absolute pressure: (300 + 101.325) * 313.15 / 293.15 - 101.325
    assert warm == pytest.approx(327.4, abs=0.1)
    assert gauge_ref(warm, 40.0) == pytest.approx(300.0)


def test_ocv_is_monotonic_in_soc():
    v = ocv_cell_v(np.linspace(0, 100, 101))
    assert np.all(np.diff(v) > 0) and 2.9 < v[0] < v[-1] < 4.25


def test_demand_has_commute_peaks_and_quiet_nights():
    monday = datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp()  # 01:00 local
    at = lambda h: demand_factor(monday + (h - 1) * 3600)  # noqa: E731
    assert at(8) > 1.5 and at(17.5) > 1.5 and at(3) < 0.2
    assert np.mean([demand_factor(monday + s) for s in range(0, 86400, 600)]) == pytest.approx(1.0, rel=0.05)


def test_ambient_has_a_daily_and_seasonal_cycle():
    day = datetime(2027, 7, 20, tzinfo=timezone.utc).timestamp()
    assert ambient_c(day + 14 * 3600) > ambient_c(day + 2 * 3600) + 5
    assert ambient_c(day) > ambient_c(datetime(2027, 1, 20, tzinfo=timezone.utc).timestamp()) + 10


@pytest.fixture(scope="module")
def run():
    sim = Simulation(SimConfig(vehicles=40, duration=timedelta(days=2), seed=11))
    states = []

    def snapshot():
        return {"soc": sim.soc.copy(), "state": sim.state.copy(), "pad": sim.pad.copy(), "cycles": sim.cycles.copy(),
                "r": sim.r0 * (1 + 8e-4 * sim.cycles), "health": sim.health.copy()}

    messages = []
    for batch in sim.messages().batches():
        states.append(snapshot())
        messages.extend(batch)
    from simulator.engine import Message
    start = sim.config.start
    series = collect(Message(start + timedelta(milliseconds=r[0] - sim._start_ms), *r[1:]) for r in messages)
    return sim, states, series


def test_soc_falls_while_riding_and_rises_while_charging(run):
    _, states, _ = run
    ride_drops, charge_gains = [], []
    for a, b in zip(states, states[1:]):
        both = a["state"] == b["state"]
        ride_drops.extend((b["soc"] - a["soc"])[both & (a["state"] == 1)])
        charge_gains.extend((b["soc"] - a["soc"])[both & (a["state"] == 2)])
    assert len(ride_drops) > 100 and len(charge_gains) > 10
    assert max(ride_drops) <= 0 and np.mean(ride_drops) < 0
    assert min(charge_gains) >= 0 and np.mean(charge_gains) > 0


def test_pads_only_get_thinner_and_resistance_only_grows(run):
    sim, states, _ = run
    serviced = set()
    for a, b in zip(states, states[1:]):
        serviced |= set(np.nonzero((b["state"] == 3) & (a["state"] != 3))[0].tolist())
    for a, b in zip(states, states[1:]):
        grew = np.nonzero((b["pad"] > a["pad"]).any(axis=1))[0]
        assert set(grew.tolist()) <= serviced  # only a service renews pads
        assert np.all(b["r"] >= a["r"]) and np.all(b["cycles"] >= a["cycles"]) and np.all(b["health"] <= a["health"])


def test_reported_pads_never_rise_between_services(run):
    sim, _, series = run
    for v in sim.vehicles:
        rows = by_ts(series[(v.vehicle_id, "brakes")])
        maint = [r["ts"] for r in series[(v.vehicle_id, "status")] if r["state"] == "maintenance"]
        for a, b in zip(rows, rows[1:]):
            if not any(a["ts"] <= t <= b["ts"] for t in maint):
                assert b["pad_front_mm"] <= a["pad_front_mm"] and b["pad_rear_mm"] <= a["pad_rear_mm"]


def test_healthy_fleet_has_no_false_signatures(run):
    sim, _, series = run
    for v in sim.vehicles:
        m = v.model
        bat = series[(v.vehicle_id, "battery")]
        assert bat and max(r["temp_c"] for r in bat) < 45
        assert max(r["cell_v_max"] - r["cell_v_min"] for r in bat) < 0.04
        assert all(0 <= r["soc_pct"] <= 100 for r in bat)
        tires = series[(v.vehicle_id, "tires")]
        assert min(min(r["pressure_kpa"].values()) for r in tires) >= 0.85 * m.tire_recommended_kpa
        assert set(tires[0]["pressure_kpa"]) == set(m.tire_positions)
        brakes = series[(v.vehicle_id, "brakes")]
        assert min(r["pad_front_mm"] for r in brakes) > m.pad_min_mm
        ratios = [r["decel_mps2"] / (m.full_decel_mps2 * r["lever_pct"] / 100) for r in brakes if "decel_mps2" in r]
        assert not ratios or np.median(ratios) > 0.85


def test_riding_moves_the_vehicle_and_the_odometer(run):
    sim, _, series = run
    rides = [r for v in sim.vehicles for r in series[(v.vehicle_id, "status")] if r["state"] == "riding"]
    assert rides and 5 < np.mean([r["speed_kmh"] for r in rides]) < 40
    for v in sim.vehicles:
        odo = [r["odometer_km"] for r in by_ts(series[(v.vehicle_id, "status")])]
        assert odo == sorted(odo)
        lat = [r["lat"] for r in series[(v.vehicle_id, "status")]]
        assert 52.4 < min(lat) and max(lat) < 52.65


def test_fleet_mix_ids_and_meta(run):
    sim, _, series = run
    types = [v.type for v in sim.vehicles]
    assert types.count("ebike") == 20 and types.count("escooter") == 14 and types.count("car") == 6
    assert sim.vehicles[0].vehicle_id == "EB-00001" and sim.vehicles[-1].vehicle_id == "CA-00006"
    for v in sim.vehicles:
        assert v.model.name in MODELS and v.model.type == v.type
        assert series[(v.vehicle_id, "meta")][0]["payload"].startswith(b'{"type":"')
        assert series[(v.vehicle_id, "presence")][0]["payload"] == b"online"
