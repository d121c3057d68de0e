"""One simulation step for the whole fleet: state changes, physics, then the readings that fall due.

`advance` moves every vehicle on by `step_s` (trips, charging, swaps,
service, battery, brakes, tires); `report` turns the due components into
MQTT records `(sent_ms, topic, payload, qos, retain)`, buffering those of
offline vehicles and flushing them as arrays when they come back.
"""
from __future__ import annotations

import math

import numpy as np
import orjson

from .fleet import KM_PER_DEG_LAT, KM_PER_DEG_LON
from .physics import ambient_c, demand_factor, gauge_at, gauge_ref, ocv_cell_v

STATES = ("parked", "riding", "charging", "maintenance")
PARKED, RIDING, CHARGING, MAINTENANCE = range(4)
COMPONENTS = ("battery", "brakes", "tires", "status")
BATTERY, BRAKES, TIRES, STATUS = range(4)
TYPES = ("ebike", "escooter", "car")

ALARM_INTERVAL_S = 60      # battery reports this often once the pack is within 10 K of its limit
FADE_PER_CYCLE = 1e-4      # healthy state-of-health loss per full cycle
R_GROWTH_PER_CYCLE = 8e-4  # healthy internal-resistance growth per full cycle
MAX_ARRAY = 1000           # readings per flushed array (CONTRACT section 1)
WATCH_EVERY = 1            # steps between checks of injected faults' failure conditions

_dumps = orjson.dumps


def _ts_strings(ts_ms: np.ndarray) -> list[str]:
    return np.datetime_as_string(ts_ms.astype("datetime64[ms]"), unit="ms", timezone="UTC").tolist()


def iso_ms(ms) -> str | None:
    """RFC 3339 UTC with milliseconds and "Z" for epoch milliseconds."""
    if ms is None:
        return None
    return str(np.datetime_as_string(np.datetime64(int(ms), "ms"), unit="ms", timezone="UTC"))


# ------------------------------------------------------------------ physics
def advance(s, k: int, out: list) -> None:
    dt = s._dt
    n = s.n
    rng = s.rng
    t_s = k * dt
    epoch_s = s._start_ms / 1000 + t_s
    day, frac = int(t_s // 86400), (t_s % 86400) / 86400
    s.ambient = amb = ambient_c(epoch_s, s.weather[day] * (1 - frac) + s.weather[day + 1] * frac)
    hour = (epoch_s / 3600 + 1) % 24
    st = s.state
    changed = np.zeros(n, dtype=bool)

    end = (st == RIDING) & (s.until <= k)
    if end.any():
        st[end] = PARKED
        s.lat[end], s.lon[end] = s.dest[end, 0], s.dest[end, 1]
        changed |= end
        low_car = end & s.is_car & (s.soc < 35)
        if low_car.any():
            st[low_car] = CHARGING
            s.charge_target[low_car] = rng.uniform(80, 92, int(low_car.sum()))
    end = ((st == MAINTENANCE) & (s.until <= k)) | ((st == CHARGING) & (s.soc >= s.charge_target))
    if end.any():
        st[end] = PARKED
        changed |= end

    if k % max(1, 3600 // dt) == 0:
        _check_service_due(s, k, t_s)
    ready = (s.service_at >= 0) & (s.service_at <= k) & (st == PARKED)
    if ready.any():
        _service(s, np.nonzero(ready)[0], k, t_s)
        changed |= ready

    parked = st == PARKED
    p_trip = s.trips_per_day * (demand_factor(epoch_s) * dt / 86400 / 0.85)
    start = parked & (s.soc > 12) & (rng.random(n) < p_trip)
    if start.any():
        _start_trips(s, np.nonzero(start)[0], k)
        changed |= start
    idle = parked & ~start
    if hour >= 22 or hour < 5:
        plug = idle & ~s.is_escooter & (s.soc < 60) & (rng.random(n) < 0.004)
        if plug.any():
            st[plug] = CHARGING
            m = int(plug.sum())
            s.charge_target[plug] = np.where(s.is_car[plug], rng.uniform(80, 90, m), rng.uniform(95, 100, m))
            changed |= plug
    swap = idle & s.two_wheel & (s.soc < 20) & (rng.random(n) < dt / 7200)
    if swap.any():  # a crew swaps the pack for a charged one (same pack slot: health carries over)
        m = int(swap.sum())
        s.soc[swap] = rng.uniform(95, 100, m)
        s.temp[swap] = amb + rng.uniform(0, 1.5, m)
    rounds = s.next_round_s <= t_s
    if rounds.any():
        _tire_rounds(s, np.nonzero(rounds)[0])
    if changed.any():  # a state change is reported at once
        s.next_due[BATTERY][changed] = k
        s.next_due[STATUS][changed] = k

    # battery
    riding = st == RIDING
    ri = np.nonzero(riding)[0]
    speed = np.zeros(n)
    if len(ri):
        factor = rng.uniform(0.6, 1.25, len(ri))
        factor[rng.random(len(ri)) < 0.08] = 0.0  # traffic lights
        speed[ri] = s.trip_speed[ri] * factor
    s.speed = speed
    current = s.standby_a.copy()
    if len(ri):
        v = speed[ri]
        power = s.power_base_w[ri] + s.power_per_kmh2_w[ri] * v * v + s.power_per_kmh_w[ri] * v
        current[ri] = power / (s.cells_series[ri] * ocv_cell_v(s.soc[ri]))
    ci = np.nonzero(st == CHARGING)[0]
    if len(ci):
        taper = np.clip((100 - s.soc[ci]) / 20, 0.05, 1.0)
        current[ci] = -s.charge_c_rate[ci] * s.battery_capacity_ah[ci] * s.health[ci] * taper
    s.current = current
    s.soc -= current * (dt / 36.0) / (s.battery_capacity_ah * s.health) + s.self_discharge * dt
    np.clip(s.soc, 0.0, 100.0, out=s.soc)
    dcyc = np.maximum(current, 0.0) * (dt / 3600) / s.battery_capacity_ah
    s.cycles += dcyc
    s.health -= FADE_PER_CYCLE * dcyc + s.fade_rate * dt
    s.spread_extra += s.spread_rate * dt
    resistance = s.r0 * (1 + R_GROWTH_PER_CYCLE * s.cycles)
    target = amb + current * current * resistance * s.thermal_k_per_w * s.therm_mult
    s.temp = target + (s.temp - target) * s.pack_decay
    for vi, (on_s, t0, rate) in s.overtemp.items():
        s.temp[vi] = max(s.temp[vi], min(t0 + rate * (t_s - on_s), s.pack_temp_limit_c[vi] + 25))

    # motion
    s.odometer += speed * (dt / 3600)
    if len(ri):
        prog = np.clip((k + 1 - s.trip_start[ri]) / np.maximum(s.until[ri] - s.trip_start[ri], 1), 0, 1)
        s.lat[ri] = s.orig[ri, 0] + (s.dest[ri, 0] - s.orig[ri, 0]) * prog
        s.lon[ri] = s.orig[ri, 1] + (s.dest[ri, 1] - s.orig[ri, 1]) * prog

    # brakes: wear in proportion to braking energy
    s.brake_heat *= s.brake_decay
    if len(ri):
        events = rng.poisson(s.brakes_per_min[ri] * (dt / 60))
        vms = s.trip_speed[ri] / 3.6
        energy_kj = events * 0.5 * s.mass_kg[ri] * vms * vms * rng.uniform(0.3, 0.9, len(ri)) / 1000
        wear = s.brake_wear_mm_per_kj[ri] * energy_kj
        s.pad[ri, 0] = np.maximum(s.pad[ri, 0] - wear * s.wear_mult[ri, 0], 0.0)
        s.pad[ri, 1] = np.maximum(s.pad[ri, 1] - 0.7 * wear * s.wear_mult[ri, 1], 0.0)
        s.brake_heat[ri] += energy_kj * 1000 / s.brake_heat_j_per_k[ri]
        braked = events > 0
        if braked.any():
            bi = ri[braked]
            lever = np.clip(rng.normal(40, 15, len(bi)), 10, 100)
            s.last_lever[bi] = lever
            s.last_decel[bi] = (s.full_decel_mps2[bi] * lever / 100 * s.brake_health[bi]
                                * (1 + rng.normal(0, 0.04, len(bi))))

    # tires: permeation (and leaks), temperature
    s.p_ref *= s.tire_decay
    tire_target = amb + riding * s.tire_ride_heat_k
    s.tire_temp = tire_target + (s.tire_temp - tire_target) * s.tire_temp_decay

    if s.watch and k % WATCH_EVERY == 0:
        _check_watch(s, k)


def _start_trips(s, idx, k: int) -> None:
    rng = s.rng
    m = len(idx)
    minutes = np.clip(np.exp(rng.normal(np.log(s.trip_median_min[idx]), 0.5)),
                      s.trip_min_min[idx], s.trip_max_min[idx])
    steps = np.maximum(1, np.round(minutes * 60 / s._dt)).astype(np.int64)
    s.state[idx] = RIDING
    s.trip_start[idx] = k
    s.until[idx] = k + steps
    s.trip_speed[idx] = s.speed_kmh[idx] * np.clip(rng.normal(1, 0.15, m), 0.6, 1.4)
    s.orig[idx, 0], s.orig[idx, 1] = s.lat[idx], s.lon[idx]
    s.dest[idx, 0] = s.home_lat[idx] + rng.normal(0, 1.2, m) / KM_PER_DEG_LAT
    s.dest[idx, 1] = s.home_lon[idx] + rng.normal(0, 1.2, m) / KM_PER_DEG_LON


def _check_service_due(s, k: int, t_s: float) -> None:
    since_s = t_s - s.last_service_s
    km = s.odometer - s.last_service_km
    due = ~s.service_due & ((since_s >= s.service_interval_days * 86400) | (km >= s.service_interval_km))
    for vi in np.nonzero(due)[0].tolist():
        by_time = since_s[vi] >= s.service_interval_days[vi] * 86400
        onset_s = s.last_service_s[vi] + s.service_interval_days[vi] * 86400 if by_time else t_s
        onset = iso_ms(s._start_ms + round(onset_s * 1000))
        s.truth.append({"vehicle_id": s.vehicles[vi].vehicle_id, "fault_code": "SERVICE_DUE",
                        "onset": onset, "failure_at": onset, "component": "any", "rate": None,
                        "reason": "time" if by_time else "distance",
                        "days_since_service": round(since_s[vi] / 86400, 2),
                        "km_since_service": round(float(km[vi]), 1)})
        s.service_due[vi] = True
        lo, hi = s.config.service_delay_h
        s.service_at[vi] = k + math.ceil(s.rng.uniform(lo, hi) * 3600 / s._dt)


def _service(s, idx, k: int, t_s: float) -> None:
    """A crew's scheduled service: pads renewed when they would not last, tires to recommended."""
    rng = s.rng
    s.state[idx] = MAINTENANCE
    s.until[idx] = k + np.ceil(rng.uniform(60, 120, len(idx)) * 60 / s._dt).astype(np.int64)
    s.last_service_s[idx] = t_s
    s.last_service_km[idx] = s.odometer[idx]
    s.service_due[idx] = False
    s.service_at[idx] = -1
    horizon = s.service_interval_days[idx] + s.config.service_delay_h[1] / 24 + 2
    keep = s.brake_fault[idx]
    for col in (0, 1):
        worn = s.pad[idx, col] - s.pad_max_wear_mm_day[idx] * horizon < s.pad_min_mm[idx] + 0.3
        renew = idx[worn & ~keep]
        s.pad[renew, col] = s.pad_new_mm[renew]
    ok = idx[~s.tire_fault[idx]]
    rec = s.tire_recommended_kpa[ok, None]
    s.p_ref[ok] = gauge_ref(rec * rng.uniform(1.0, 1.04, (len(ok), 4)), s.tire_temp[ok, None])


def _tire_rounds(s, idx) -> None:
    """Weekly rounds: a tire under 97 % of recommended (as read now) is pumped to recommended."""
    rng = s.rng
    s.next_round_s[idx] += rng.uniform(5, 9, len(idx)) * 86400
    idx = idx[~s.tire_fault[idx]]
    rec = s.tire_recommended_kpa[idx, None]
    temp = s.tire_temp[idx, None]
    low = gauge_at(s.p_ref[idx], temp) < 0.97 * rec
    fresh = gauge_ref(rec * rng.uniform(1.0, 1.04, (len(idx), 4)), temp)
    s.p_ref[idx] = np.where(low, fresh, s.p_ref[idx])


def _check_watch(s, k: int) -> None:
    keep = []
    for entry, vi, predicate in s.watch:
        if predicate(s, vi):
            entry["failure_at"] = iso_ms(s._start_ms + k * s._step_ms)
            entry["failure_observed"] = True
        else:
            keep.append((entry, vi, predicate))
    s.watch = keep


# ------------------------------------------------------------------ readings
def report(s, k: int, out: list) -> None:
    rng = s.rng
    n = s.n
    t_ms = s._start_ms + k * s._step_ms
    off = s.offline_until
    back = np.nonzero((off >= 0) & (off <= k))[0]
    for vi in back.tolist():
        flush(s, vi, t_ms, out)
    go = np.nonzero((off < 0) & ~s.silent & (rng.random(n) < s.config.offline_per_day * s._dt / 86400))[0]
    for vi in go.tolist():
        dur = min(max(rng.lognormal(math.log(s.config.offline_median_min * 60), 0.8), 180), 8 * 3600)
        off[vi] = k + math.ceil(dur / s._dt)
        s.buffers[vi] = [[], [], [], []]
        s._later((t_ms + int(s.config.presence_grace_s * 1000), s.presence_topics[vi], b"offline", 1, True))
        s._counts["offline_periods"] += 1

    state = s.state
    for c in range(4):
        due = s.next_due[c] <= k
        idx = np.nonzero(due)[0]
        if not len(idx):
            continue
        steps = s.interval_steps[c][state[idx]]
        if c == BATTERY:
            hot = s.temp[idx] > s.pack_temp_limit_c[idx] - 10
            steps = np.where(hot, np.minimum(steps, s.alarm_steps), steps)
        s.next_due[c][idx] = k + steps
        if s.silent.any():
            idx = idx[~s.silent[idx]]
            if not len(idx):
                continue
        s.seq[c][idx] += 1
        ts_ms = t_ms + s.phase_ms[c][idx]
        payloads = BUILDERS[c](s, idx, _ts_strings(ts_ms), s.seq[c][idx].tolist())
        _dispatch(s, c, idx, ts_ms, payloads, out)


def _dispatch(s, c: int, idx, ts_ms, payloads, out: list) -> None:
    topics = s.topics[c]
    qos = s.config.qos
    dup = s.config.duplicate_rate
    late = dup + s.config.reorder_rate
    draws = s.rng.random(len(idx)).tolist()
    offline = s.offline_until[idx] >= 0
    off_l = offline.tolist() if offline.any() else None
    s._counts["readings"] += len(idx)
    for j, (vi, ts, payload, x) in enumerate(zip(idx.tolist(), ts_ms.tolist(), payloads, draws)):
        if off_l is not None and off_l[j]:
            s.buffers[vi][c].append(payload)
            continue
        if x >= late:
            out.append((ts, topics[vi], payload, qos, False))
        elif x < dup:  # delivered twice (a QoS 1 retry)
            out.append((ts, topics[vi], payload, qos, False))
            s._later((ts + 200 + int(x / dup * 2800), topics[vi], payload, qos, False))
            s._counts["duplicates"] += 1
        else:          # delivered late, after newer readings
            s._later((ts + 35000 + int((x - dup) / (late - dup) * 85000), topics[vi], payload, qos, False))
            s._counts["delayed"] += 1


def flush(s, vi: int, t_ms: int, out: list) -> None:
    """A vehicle back online: presence, then what it buffered, as arrays of at most MAX_ARRAY readings."""
    out.append((t_ms, s.presence_topics[vi], b"online", 1, True))
    s.offline_until[vi] = -1
    for c, items in enumerate(s.buffers.pop(vi, [[], [], [], []])):
        for i in range(0, len(items), MAX_ARRAY):
            out.append((t_ms + 1 + c, s.topics[c][vi], b"[" + b",".join(items[i:i + MAX_ARRAY]) + b"]",
                        s.config.qos, False))
            s._counts["flushed_arrays"] += 1


def _sensor(s, c: int, vi: int, d: dict) -> None:
    kind, fld, value, rate = s.sensor[(vi, c)]
    if kind == "stuck":
        if value is None:
            s.sensor[(vi, c)][2] = d.get(fld)
        else:
            d[fld] = value
    elif s.rng.random() < rate:
        d[fld] = value


def _battery(s, idx, ts, seq) -> list[bytes]:
    m = len(idx)
    noise = s.rng.normal(0.0, 1.0, (5, m))
    soc = s.soc[idx]
    cur = s.current[idx]
    cells = s.cells_series[idx]
    resistance = s.r0[idx] * (1 + R_GROWTH_PER_CYCLE * s.cycles[idx])
    volt = cells * ocv_cell_v(soc) - cur * resistance + 0.02 * noise[2]
    spread = (s.spread_base[idx] + s.spread_extra[idx] + 0.005 * np.abs(cur) / s.battery_capacity_ah[idx]
              + 0.001 * np.abs(noise[4]))
    cell = volt / cells
    cols = (np.round(np.clip(soc + 0.05 * noise[0], 0, 100), 1).tolist(),
            np.round(volt, 2).tolist(),
            np.round(cur + 0.02 * (1 + np.abs(cur) / 5) * noise[1], 2).tolist(),
            np.round(s.temp[idx] + 0.1 * noise[3], 1).tolist(),
            np.round(cell - 0.6 * spread, 3).tolist(),
            np.round(cell + 0.4 * spread, 3).tolist(),
            s.cycles[idx].astype(np.int64).tolist())
    sensor = s.sensor
    out = []
    for vi, t, q, a, b, c, d, e, f, g in zip(idx.tolist(), ts, seq, *cols):
        r = {"ts": t, "seq": q, "soc_pct": a, "voltage_v": b, "current_a": c, "temp_c": d,
             "cell_v_min": e, "cell_v_max": f, "cycles": g}
        if sensor and (vi, BATTERY) in sensor:
            _sensor(s, BATTERY, vi, r)
        out.append(_dumps(r))
    return out


def _brakes(s, idx, ts, seq) -> list[bytes]:
    noise = s.rng.normal(0.0, 0.3, len(idx))
    cols = (np.round(s.pad[idx, 0], 2).tolist(), np.round(s.pad[idx, 1], 2).tolist(),
            np.round(s.last_decel[idx], 2).tolist(), np.round(s.last_lever[idx], 0).tolist(),
            np.round(s.ambient + s.brake_heat[idx] + noise, 1).tolist())
    out = []
    for t, q, a, b, c, d, e in zip(ts, seq, *cols):
        r = {"ts": t, "seq": q, "pad_front_mm": a, "pad_rear_mm": b}
        if c == c:  # a braking event has been seen
            r["decel_mps2"] = c
            r["lever_pct"] = d
        r["brake_temp_c"] = e
        out.append(_dumps(r))
    return out


def _tires(s, idx, ts, seq) -> list[bytes]:
    temp = s.tire_temp[idx]
    gauge = gauge_at(s.p_ref[idx], temp[:, None]) + s.rng.normal(0.0, 0.3, (len(idx), 4))
    rows = np.round(np.maximum(gauge, 0.0), 1).tolist()
    temps = np.round(temp, 1).tolist()
    positions = s.positions
    out = []
    for vi, t, q, row, tc in zip(idx.tolist(), ts, seq, rows, temps):
        out.append(_dumps({"ts": t, "seq": q, "pressure_kpa": dict(zip(positions[vi], row)), "temp_c": tc}))
    return out


def _status(s, idx, ts, seq) -> list[bytes]:
    m = len(idx)
    noise = s.rng.normal(0.0, 4.0 / 111200, (2, m))  # GPS noise, ~4 m
    speed = s.speed[idx]
    cols = (np.round(s.lat[idx] + noise[0], 6).tolist(), np.round(s.lon[idx] + noise[1], 6).tolist(),
            np.round(speed, 1).tolist(), np.round(s.odometer[idx], 2).tolist(), s.state[idx].tolist())
    sensor = s.sensor
    out = []
    for vi, t, q, a, b, c, d, e in zip(idx.tolist(), ts, seq, *cols):
        r = {"ts": t, "seq": q, "lat": a, "lon": b, "speed_kmh": c, "odometer_km": d, "state": STATES[e]}
        if sensor and (vi, STATUS) in sensor:
            _sensor(s, STATUS, vi, r)
        out.append(_dumps(r))
    return out


BUILDERS = (_battery, _brakes, _tires, _status)
