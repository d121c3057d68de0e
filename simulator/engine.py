"""The simulation: a fleet stepped in lock-step (numpy arrays), its telemetry as MQTT messages in send order.

Every vehicle's physics advances by one `step_s` (30 s) per step as array
operations over the whole fleet; a component reports when its per-vehicle
next-due step comes round (interval by state), at a fixed per-vehicle phase
inside the step, so timestamps spread over the step. Messages of one step are
sorted by send time; late ones (delayed, duplicated, presence after the keep
alive) wait in a heap until their step. Memory is bounded by the fleet, the
offline buffers and that heap, never by the duration. One numpy Generator
seeded from `SimConfig.seed` drives everything, in a fixed order: same seed
and config, same bytes.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Iterator

import numpy as np
import orjson

from .faults import FaultSpec, parse_random, random_plan, validate
from .fleet import KM_PER_DEG_LAT, KM_PER_DEG_LON, ZONE_RADIUS_KM, build_fleet, zone_latlon
from .inject import activate, check_specs
from .physics import TYPE_PARAMS, ambient_c, gauge_ref
from .step import ALARM_INTERVAL_S, COMPONENTS, PARKED, STATES, TYPES, advance, iso_ms, report

__all__ = ["FaultSpec", "Message", "SimConfig", "Simulation", "COMPONENTS", "STATES", "iso_ms"]

# Reporting interval in seconds per component and state (parked, riding, charging, maintenance).
DEFAULT_INTERVALS_S = {
    "battery": (900, 30, 60, 900),
    "brakes": (3600, 120, 3600, 3600),
    "tires": (1800, 300, 1800, 1800),
    "status": (900, 30, 300, 900),
}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Message:
    sent_at: datetime   # simulated send time, UTC
    topic: str
    payload: bytes      # UTF-8 JSON per CONTRACT section 1 (plain text for presence)
    qos: int = 0
    retain: bool = False


@dataclass
class SimConfig:
    vehicles: int = 1000
    duration: timedelta = timedelta(days=1)
    seed: int = 0
    start: datetime = datetime(2026, 11, 1, tzinfo=timezone.utc)
    faults: list[FaultSpec] | str | None = None   # list, "random:RATE" or None
    step_s: int = 30                               # physics step; intervals round up to whole steps
    intervals_s: dict = field(default_factory=lambda: dict(DEFAULT_INTERVALS_S))
    qos: int = 0                                   # QoS of readings (meta/presence always 1)
    offline_per_day: float = 0.3                   # connectivity losses per vehicle-day
    offline_median_min: float = 20.0
    presence_grace_s: float = 90.0                 # broker publishes the will this long after a loss
    duplicate_rate: float = 0.001
    reorder_rate: float = 0.002                    # readings delivered 35-120 s late (after later ones)
    service_delay_h: tuple[float, float] = (6.0, 72.0)  # from SERVICE_DUE to the crew's service

    def validate(self) -> None:
        if self.vehicles < 1:
            raise ValueError(f"vehicles must be at least 1, got {self.vehicles}")
        if self.duration <= timedelta(0):
            raise ValueError(f"duration must be positive, got {self.duration}")
        if self.step_s < 1:
            raise ValueError(f"step_s must be at least 1, got {self.step_s}")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        if self.qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {self.qos}")


class _MessageStream:
    """Iterator of Message; `write_file` takes its batches directly (no Message objects) when untouched."""

    def __init__(self, sim: "Simulation"):
        self._sim = sim
        self._started = False
        self._it: Iterator[Message] | None = None

    def batches(self) -> Iterator[list[tuple]]:
        if self._started:
            raise RuntimeError("stream already started")
        self._started = True
        return self._sim._batches()

    def __iter__(self):
        return self

    def __next__(self) -> Message:
        if self._it is None:
            self._it = self._messages()
        return next(self._it)

    def _messages(self) -> Iterator[Message]:
        start_ms = self._sim._start_ms
        start = self._sim.config.start.astimezone(timezone.utc)
        for batch in self.batches():
            for sent_ms, topic, payload, qos, retain in batch:
                yield Message(start + timedelta(milliseconds=sent_ms - start_ms), topic, payload, qos, retain)


class Simulation:
    def __init__(self, config: SimConfig):
        config.validate()
        self.config = config
        self.vehicles = build_fleet(config.vehicles, np.random.default_rng([config.seed, 1]))
        self.by_id = {v.vehicle_id: v for v in self.vehicles}
        self.truth: list[dict] = []
        self._dt = config.step_s
        self._step_ms = config.step_s * 1000
        self._start_ms = int(round(config.start.timestamp() * 1000))
        self._nsteps = math.ceil(config.duration.total_seconds() / config.step_s)
        self._end_ms = self._start_ms + int(config.duration.total_seconds() * 1000)
        self._counts = {"messages": 0, "readings": 0, "duplicates": 0, "delayed": 0,
                        "offline_periods": 0, "flushed_arrays": 0}
        self._consumed = False
        self._progress_s = 0.0
        self._specs = self._resolve_faults(config.faults)
        self._init_state(np.random.default_rng([config.seed, 2]))

    # ----------------------------------------------------------------- set-up
    def _resolve_faults(self, faults) -> list[FaultSpec]:
        if faults is None:
            return []
        if isinstance(faults, str):
            return random_plan(self.vehicles, self.config.duration, parse_random(faults), self.config.seed)
        for spec in faults:
            validate(spec)
        check_specs(self, faults)
        return sorted(faults, key=lambda s: s.onset)

    def _init_state(self, rng: np.random.Generator) -> None:
        vs = self.vehicles
        n = self.n = len(vs)
        dt = self._dt

        def per_type(attr):
            return np.array([getattr(TYPE_PARAMS[v.type], attr) for v in vs], dtype=float)

        def per_model(attr):
            return np.array([getattr(v.model, attr) for v in vs], dtype=float)

        self.vtype = np.array([TYPES.index(v.type) for v in vs])
        self.is_car = self.vtype == 2
        self.is_escooter = self.vtype == 1
        self.two_wheel = ~self.is_car
        for attr in ("mass_kg", "trip_median_min", "trip_min_min", "trip_max_min", "speed_kmh",
                     "power_base_w", "power_per_kmh2_w", "power_per_kmh_w", "thermal_k_per_w",
                     "pack_tau_s", "charge_c_rate", "standby_a", "brake_wear_mm_per_kj",
                     "brake_heat_j_per_k", "brakes_per_min", "tire_ride_heat_k", "pad_max_wear_mm_day"):
            setattr(self, attr, per_type(attr))
        for attr in ("battery_capacity_ah", "cells_series", "tire_recommended_kpa", "pad_new_mm",
                     "pad_min_mm", "pack_temp_limit_c", "full_decel_mps2", "service_interval_days",
                     "service_interval_km", "cell_spread_limit_v"):
            setattr(self, attr, per_model(attr))
        self.pack_decay = np.exp(-dt / self.pack_tau_s)
        self.brake_decay = math.exp(-dt / 180.0)
        self.tire_temp_decay = math.exp(-dt / 600.0)
        self.alarm_steps = max(1, math.ceil(ALARM_INTERVAL_S / dt))
        self.ambient = 0.0
        self.trips_per_day = per_type("trips_per_day") * rng.uniform(0.6, 1.4, n)
        self.r0 = per_type("r_cell_ohm") * self.cells_series * rng.uniform(0.9, 1.1, n)

        amb = ambient_c(self._start_ms / 1000)
        self.ambient = amb
        self.state = np.zeros(n, dtype=np.int8)
        self.until = np.zeros(n, dtype=np.int64)           # step a trip or maintenance ends
        self.trip_start = np.zeros(n, dtype=np.int64)
        self.trip_speed = np.zeros(n)
        self.charge_target = np.zeros(n)
        self.cycles = np.where(self.is_car, rng.uniform(10, 150, n), rng.uniform(20, 300, n))
        self.health = rng.uniform(0.91, 0.99, n) - 0.0001 * self.cycles
        self.soc = rng.uniform(40, 95, n)
        self.temp = amb + rng.uniform(0, 1.0, n)
        self.spread_base = rng.uniform(0.008, 0.02, n)
        self.current = np.zeros(n)
        self.speed = np.zeros(n)

        # service history: days and km since the last service, inside the interval
        days_ago = rng.uniform(0, 0.999, n) * self.service_interval_days
        km_per_day = self.trips_per_day * self.speed_kmh * self.trip_median_min / 60
        km_since = np.minimum(days_ago * km_per_day * rng.uniform(0.5, 1.0, n), 0.9 * self.service_interval_km)
        self.odometer = np.where(self.is_car, rng.uniform(5000, 60000, n), rng.uniform(200, 5000, n))
        self.last_service_s = -days_ago * 86400
        self.last_service_km = np.maximum(self.odometer - km_since, 0.0)  # a young vehicle: serviced at 0 km
        self.service_due = np.zeros(n, dtype=bool)
        self.service_at = np.full(n, -1, dtype=np.int64)

        # pads thick enough to last healthy until the next service (planned by the worst wear rate)
        delay_days = self.config.service_delay_h[1] / 24
        remaining = self.service_interval_days - days_ago + delay_days + 2
        lower = np.minimum(self.pad_new_mm, self.pad_min_mm + 0.3 + self.pad_max_wear_mm_day * remaining)
        self.pad = np.stack([rng.uniform(lower, self.pad_new_mm), rng.uniform(lower, self.pad_new_mm)], axis=1)
        self.brake_health = rng.uniform(0.95, 1.0, n)
        self.brake_heat = np.zeros(n)
        self.wear_mult = np.ones((n, 2))
        self.last_lever = np.full(n, np.nan)
        self.last_decel = np.full(n, np.nan)

        self.n_tires = np.array([len(v.model.tire_positions) for v in vs])
        rec = self.tire_recommended_kpa[:, None]
        self.p_ref = gauge_ref(rec * rng.uniform(1.0, 1.04, (n, 4)), amb)
        self.permeation = rng.uniform(0.01, 0.02, (n, 1)) / (7 * 86400)   # fraction per second
        self.leak = np.zeros((n, 4))
        self.tire_decay = np.exp(-(self.permeation + self.leak) * dt)
        self.positions = [v.model.tire_positions for v in vs]
        self.tire_temp = amb + rng.uniform(0, 1.0, n)
        self.next_round_s = rng.uniform(0, 7 * 86400, n)

        home = np.array([zone_latlon(v.zone) for v in vs])
        self.home_lat, self.home_lon = home[:, 0], home[:, 1]
        self.lat = self.home_lat + rng.normal(0, ZONE_RADIUS_KM / 2, n) / KM_PER_DEG_LAT
        self.lon = self.home_lon + rng.normal(0, ZONE_RADIUS_KM / 2, n) / KM_PER_DEG_LON
        self.orig = np.stack([self.lat, self.lon], axis=1)
        self.dest = self.orig.copy()

        # reporting: interval table in steps, per-vehicle phase inside the step, first report spread out
        self.interval_steps = np.array([[max(1, math.ceil(s / dt)) for s in self.config.intervals_s[c]]
                                        for c in COMPONENTS], dtype=np.int64)
        self.phase_ms = rng.integers(0, self._step_ms, (4, n))
        self.next_due = np.stack([rng.integers(0, self.interval_steps[c][PARKED], n) for c in range(4)])
        self.seq = np.zeros((4, n), dtype=np.int64)
        self.offline_until = np.full(n, -1, dtype=np.int64)
        self.silent = np.zeros(n, dtype=bool)
        self.buffers: dict[int, list[list[bytes]]] = {}
        self.topics = [[f"fleet/v1/{v.vehicle_id}/{c}" for v in vs] for c in COMPONENTS]
        self.presence_topics = [f"fleet/v1/{v.vehicle_id}/presence" for v in vs]

        # fault state
        self.therm_mult = np.ones(n)
        self.self_discharge = np.zeros(n)     # % per second
        self.fade_rate = np.zeros(n)          # SoH per second
        self.spread_extra = np.zeros(n)
        self.spread_rate = np.zeros(n)        # V per second
        self.overtemp = {}                    # vi -> (onset_s, temp at onset, K per second)
        self.brake_fault = np.zeros(n, dtype=bool)
        self.tire_fault = np.zeros(n, dtype=bool)
        self.sensor = {}                      # (vi, component) -> [kind, field, value, rate]
        self.watch = []                       # (truth dict, vi, predicate) for observed failure times
        n_days = int(self.config.duration.total_seconds() // 86400) + 3
        self.weather = rng.normal(0, 3.0, n_days)
        for spec in self._specs:              # SERVICE_DUE: move the last service back now
            if spec.fault_code == "SERVICE_DUE":
                vi = self.by_id[spec.vehicle_id].index
                self.last_service_s[vi] = spec.onset.total_seconds() - self.service_interval_days[vi] * 86400
                self.last_service_km[vi] = self.odometer[vi]
        self.rng = np.random.default_rng([self.config.seed, 3])

    # ------------------------------------------------------------------ public
    def messages(self) -> "_MessageStream":
        """All MQTT messages in send-time order (a lazy, one-shot stream)."""
        if self._consumed:
            raise RuntimeError("a Simulation's messages can be read once; make a new Simulation")
        self._consumed = True
        return _MessageStream(self)

    def summary(self) -> dict:
        codes: dict[str, int] = {}
        for t in self.truth:
            codes[t["fault_code"]] = codes.get(t["fault_code"], 0) + 1
        return {"vehicles": self.n, "start": iso_ms(self._start_ms), "end": iso_ms(self._end_ms),
                **self._counts, "faults_injected": len(self.truth), "faults_by_code": codes}

    # ---------------------------------------------------------------- the loop
    def _batches(self) -> Iterator[list[tuple]]:
        heap: list[tuple] = []
        self._heap = heap
        self._tiebreak = 0
        out: list[tuple] = []
        for v in self.vehicles:   # who the vehicle is, and that it is there
            meta = orjson.dumps({"type": v.type, "model": v.model.name, "zone": v.zone,
                                 "last_service_at": iso_ms(self._start_ms + int(self.last_service_s[v.index] * 1000)),
                                 "last_service_km": round(float(self.last_service_km[v.index]), 1)})
            out.append((self._start_ms, f"fleet/v1/{v.vehicle_id}/meta", meta, 1, True))
            out.append((self._start_ms, self.presence_topics[v.index], b"online", 1, True))
        pending = list(self._specs)
        for k in range(self._nsteps):
            t_ms = self._start_ms + k * self._step_ms
            while pending and pending[0].onset.total_seconds() <= k * self._dt:
                self._activate(pending.pop(0), k, out)
            self._step(k, out)
            self._progress_s = (k + 1) * self._dt
            end = min(t_ms + self._step_ms, self._end_ms)
            while heap and heap[0][0] < end:
                out.append(heapq.heappop(heap)[2])
            out = [r for r in out if r[0] < self._end_ms] if k == self._nsteps - 1 else out
            out.sort(key=itemgetter(0))
            self._counts["messages"] += len(out)
            yield out
            out = []
        self._finish_truth()

    def _later(self, record: tuple) -> None:
        self._tiebreak += 1
        heapq.heappush(self._heap, (record[0], self._tiebreak, record))

    def _step(self, k: int, out: list) -> None:
        advance(self, k, out)
        report(self, k, out)

    def _activate(self, spec: FaultSpec, k: int, out: list) -> None:
        activate(self, spec, k, out)

    def _finish_truth(self) -> None:
        for entry, _, _ in self.watch:
            entry.setdefault("failure_observed", False)
