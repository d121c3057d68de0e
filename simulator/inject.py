"""Fault injection: at its onset step a FaultSpec changes the fleet's state and writes its ground truth.

Each truth line: `vehicle_id, fault_code, onset, failure_at` (ISO-8601 UTC,
failure_at None where no failure time applies), `component`, `rate` (the
effective rate), the spec's params, and for faults whose failure is a
crossing (a limit, 80 % health, pad or tire minimum) `failure_observed`:
True when the crossing happened in the run (failure_at is then when it was
seen, within WATCH_EVERY steps), False when failure_at is the estimate made
at onset from the rate.
"""
from __future__ import annotations

import math

import numpy as np

from fleet_contract.codes import FAULT_CODES

from .faults import FaultSpec
from .physics import gauge_at, gauge_ref
from .step import BATTERY, BRAKES, COMPONENTS, STATUS, TIRES, flush, iso_ms

SENSOR_COMPONENTS = ("battery", "status")


def check_specs(sim, specs: list[FaultSpec]) -> None:
    """Raise ValueError for a spec that names an unknown vehicle, tire position, pad or signal."""
    for spec in specs:
        v = sim.by_id.get(spec.vehicle_id)
        if v is None:
            raise ValueError(f"fault for unknown vehicle {spec.vehicle_id!r}")
        p = spec.params
        if "position" in p and p["position"] not in v.model.tire_positions:
            raise ValueError(f"{spec.vehicle_id} has no tire {p['position']!r} ({', '.join(v.model.tire_positions)})")
        if p.get("pad", "front") not in ("front", "rear"):
            raise ValueError(f"pad must be front or rear, got {p['pad']!r}")
        if spec.fault_code.startswith("SENSOR_") and p.get("component", "battery") not in SENSOR_COMPONENTS:
            raise ValueError(f"sensor faults are simulated on {', '.join(SENSOR_COMPONENTS)} only")


def _at(sim, seconds: float) -> str:
    return iso_ms(sim._start_ms + round(seconds * 1000))


def activate(sim, spec: FaultSpec, k: int, out: list) -> None:
    code = spec.fault_code
    if code == "SERVICE_DUE":  # its truth line is written when the moved schedule falls due
        return
    v = sim.by_id[spec.vehicle_id]
    vi = v.index
    rate = spec.effective_rate()
    p = dict(spec.params)
    t_s = k * sim._dt
    entry = {"vehicle_id": v.vehicle_id, "fault_code": code, "onset": _at(sim, t_s), "failure_at": None,
             "component": FAULT_CODES[code].component, "rate": rate}

    def watch(predicate, estimate_s):
        entry["failure_at"] = _at(sim, estimate_s) if estimate_s is not None and math.isfinite(estimate_s) else None
        entry["failure_observed"] = False
        sim.watch.append((entry, vi, predicate))

    if code == "BATTERY_OVERTEMP":
        t0 = float(sim.temp[vi])
        limit = float(sim.pack_temp_limit_c[vi])
        sim.overtemp[vi] = (t_s, t0, rate / 60)
        watch(lambda s, i: s.temp[i] > s.pack_temp_limit_c[i], t_s + max(0.0, limit - t0) / (rate / 60))
        sim.next_due[BATTERY][vi] = k
    elif code == "BATTERY_CELL_IMBALANCE":
        sim.spread_rate[vi] = rate / 86400
        gap = float(sim.cell_spread_limit_v[vi] - sim.spread_base[vi] - sim.spread_extra[vi])
        watch(lambda s, i: s.spread_base[i] + s.spread_extra[i] > s.cell_spread_limit_v[i],
              t_s + max(gap, 0.0) / rate * 86400)
    elif code == "BATTERY_CAPACITY_FADE":
        sim.health[vi] = min(float(sim.health[vi]), float(p.get("health", 0.86)))
        sim.fade_rate[vi] = rate / 86400
        p["health_at_onset"] = round(float(sim.health[vi]), 4)
        watch(lambda s, i: s.health[i] < 0.80, t_s + max(float(sim.health[vi]) - 0.80, 0.0) / rate * 86400)
    elif code == "BATTERY_SELF_DISCHARGE":
        sim.self_discharge[vi] = rate / 3600
    elif code in ("BRAKE_PAD_WEAR", "BRAKE_PAD_WORN"):
        pad = p.setdefault("pad", "front")
        col = 0 if pad == "front" else 1
        sim.brake_fault[vi] = True
        if code == "BRAKE_PAD_WEAR":
            sim.wear_mult[vi, col] = rate
            healthy_mm_day = 0.5 * float(sim.pad_max_wear_mm_day[vi]) * (1.0 if col == 0 else 0.7)
            left = float(sim.pad[vi, col] - sim.pad_min_mm[vi])
            watch(lambda s, i, c=col: s.pad[i, c] <= s.pad_min_mm[i], t_s + left / (healthy_mm_day * rate) * 86400)
        else:
            sim.pad[vi, col] = float(p.get("pad_mm", sim.pad_min_mm[vi] - 0.1))
            entry["failure_at"] = entry["onset"]
            sim.next_due[BRAKES][vi] = k
        p["pad_mm_at_onset"] = round(float(sim.pad[vi, col]), 2)
    elif code == "BRAKE_WEAK":
        sim.brake_fault[vi] = True
        sim.brake_health[vi] *= 1 - rate
        entry["failure_at"] = entry["onset"]
    elif code in ("TIRE_SLOW_LEAK", "TIRE_FLAT", "TIRE_UNDERINFLATED"):
        positions = v.model.tire_positions
        pos = p.setdefault("position", positions[-1] if code == "TIRE_SLOW_LEAK" else positions[0])
        col = positions.index(pos)
        sim.tire_fault[vi] = True
        rec = float(sim.tire_recommended_kpa[vi])
        temp = float(sim.tire_temp[vi])
        if code == "TIRE_SLOW_LEAK":
            sim.leak[vi, col] = rate / 86400
            sim.tire_decay[vi] = np.exp(-(sim.permeation[vi] + sim.leak[vi]) * sim._dt)
            ref = float(sim.p_ref[vi, col])
            floor = 0.75 * rec
            per_s = rate / 86400 + float(sim.permeation[vi, 0])
            watch(lambda s, i, c=col: s.p_ref[i, c] <= 0.75 * s.tire_recommended_kpa[i],
                  t_s + math.log(ref / floor) / per_s if ref > floor else t_s)
        else:
            fraction = float(p.setdefault("fraction", 0.15 if code == "TIRE_FLAT" else 0.80))
            sim.p_ref[vi, col] = gauge_ref(rec * fraction, temp)
            if code == "TIRE_FLAT":
                entry["failure_at"] = entry["onset"]
            sim.next_due[TIRES][vi] = k
        p["kpa_at_onset"] = round(float(gauge_at(sim.p_ref[vi, col], temp)), 1)
    elif code in ("SENSOR_STUCK", "SENSOR_IMPLAUSIBLE"):
        comp = p.setdefault("component", "battery")
        fld = p.setdefault("field", "temp_c")
        c = COMPONENTS.index(comp)
        entry["component"] = comp
        if code == "SENSOR_STUCK":
            sim.sensor[(vi, c)] = ["stuck", fld, None, 1.0]
        else:
            value = float(p.setdefault("value", 900.0))
            sim.sensor[(vi, c)] = ["implausible", fld, value, rate]
            sim.next_due[c][vi] = k
    elif code == "VEHICLE_SILENT":
        if sim.offline_until[vi] >= 0:  # back online first, so that no presence "offline" explains the silence
            flush(sim, vi, sim._start_ms + k * sim._step_ms, out)
        sim.silent[vi] = True
    elif code == "FLEET_OUTLIER":
        sim.therm_mult[vi] = rate
    entry.update(p)
    sim.truth.append(entry)


__all__ = ["activate", "check_specs", "STATUS"]
