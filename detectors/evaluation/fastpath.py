"""The in-process path of `fleet eval`: simulator messages → contract decoding → detectors → tickets.

Messages are taken in send order, as a broker would deliver them (late, duplicated and buffered
readings included), decoded by the same contract code ingest uses, and fed to every detector of
their component; the detectors' clocks tick every simulated minute. A ticket opens at the
simulated time its message was processed. Readings of the vehicles with an injected critical fault
are indexed by time so that detection delay can be counted in readings; for BRAKE_WEAK only brake
readings that carry a new braking event count (a brake reading repeats the last event's deceleration
and lever, and a parked vehicle's hourly readings carry the event from before the fault).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from fleet_contract.codes import FAULT_CODES, Severity
from fleet_contract.payload import Invalid, decode_meta, decode_readings
from fleet_contract.vehicle_models import model_for
from simulator.engine import Simulation

from ..base import Detector, VehicleInfo
from ..registry import all_detectors, by_component
from .book import TicketBook

TICK = timedelta(minutes=1)
CRITICAL = {c for c, f in FAULT_CODES.items() if f.severity is Severity.critical}


class ReadingIndex:
    """Distinct reading times of the vehicles with an injected critical fault: detection delay in readings."""

    def __init__(self, specs: list):
        critical = [s for s in specs if s.fault_code in CRITICAL]
        self._times: dict[tuple[str, str], set[float]] = {
            (s.vehicle_id, FAULT_CODES[s.fault_code].component): set() for s in critical}
        self._needs_event = {s.vehicle_id for s in critical if s.fault_code == "BRAKE_WEAK"}
        self._last_event: dict[str, tuple] = {}

    def add_reading(self, reading) -> None:
        seen = self._times.get((reading.vehicle_id, reading.component))
        if seen is None:
            return
        if reading.vehicle_id in self._needs_event and reading.component == "brakes":
            event = (reading.values.get("decel_mps2"), reading.values.get("lever_pct"))
            if event == self._last_event.get(reading.vehicle_id):
                return  # the same braking event repeated: no new evidence
            self._last_event[reading.vehicle_id] = event
        seen.add(reading.ts.timestamp())

    def add(self, msg) -> None:
        """A raw message (the broker path decodes only what it watches)."""
        _, _, vid, kind = msg.topic.split("/")
        if (vid, kind) in self._times:
            for reading in decode_readings(vid, kind, msg.payload, msg.sent_at).readings:
                self.add_reading(reading)

    def times(self) -> dict:
        return {k: sorted(v) for k, v in self._times.items()}


@dataclass
class RunResult:
    truth: list[dict]
    tickets: list
    vehicles: int
    days: float
    readings: int
    reading_times: dict = field(default_factory=dict)  # (vehicle, component) -> sorted distinct ts (epoch s)
    end: datetime | None = None

    def readings_between(self, vehicle_id: str, component: str, start: datetime, end: datetime) -> int:
        times = self.reading_times.get((vehicle_id, component), [])
        return bisect.bisect_right(times, end.timestamp()) - bisect.bisect_left(times, start.timestamp())


def service_history(sim: Simulation) -> dict[str, tuple[datetime, float]]:
    """Each vehicle's last service before the run, as a fleet registry would know it.

    The simulator keeps it as internal arrays (seconds from start, odometer km); the MQTT contract
    has no field for it.
    """
    start = sim.config.start
    return {v.vehicle_id: (start + timedelta(seconds=float(sim.last_service_s[v.index])),
                           float(sim.last_service_km[v.index])) for v in sim.vehicles}


def run_in_process(sim: Simulation, progress: Callable[[float], None] | None = None,
                   detectors: list | None = None) -> RunResult:
    detectors = detectors if detectors is not None else all_detectors()
    routes = by_component(detectors)
    clocked = [d for d in detectors if type(d).tick is not Detector.tick]  # only those with a clock hook
    silent = next((d for d in detectors if d.fault_code == "VEHICLE_SILENT"), None)
    history = service_history(sim)
    index = ReadingIndex(sim.config.faults if isinstance(sim.config.faults, list) else [])
    infos: dict[str, VehicleInfo] = {}
    book = TicketBook()
    start = sim.config.start
    next_tick = start + TICK
    n_readings = 0
    last_progress = 0.0

    def handle(items: list, zone: str | None, now: datetime) -> None:
        for item in items:
            book.apply(item, zone, now)

    for msg in sim.messages():
        now = msg.sent_at
        while now >= next_tick:
            for d in clocked:
                found = d.tick(next_tick)
                for item in found:
                    info = infos.get(item.vehicle_id)
                    handle([item], info.zone if info else None, next_tick)
            if next_tick.minute == 0:
                book.tick(next_tick)  # escalation and closing, hourly in simulated time
            next_tick += TICK
            if progress is not None and (next_tick - start).total_seconds() - last_progress >= 3600:
                last_progress = (next_tick - start).total_seconds()
                progress(last_progress)
        _, _, vid, kind = msg.topic.split("/")
        if kind == "meta":
            try:
                meta = decode_meta(msg.payload)
            except Invalid:
                continue
            at, km = history.get(vid, (None, None))
            infos[vid] = VehicleInfo(vid, meta.type, model_for(meta.model, meta.type), meta.zone, at, km)
            continue
        if kind == "presence":
            if silent is not None:
                silent.presence(vid, msg.payload.strip() == b"online", now)
            continue
        info = infos.get(vid)
        if info is None:
            info = infos[vid] = VehicleInfo(vid)
        decoded = decode_readings(vid, kind, msg.payload, now)
        for reading in decoded.readings:
            n_readings += 1
            index.add_reading(reading)
            for det in routes[kind]:
                found = det.observe(reading, info)
                if found:
                    handle(found, info.zone, now)
    end = start + sim.config.duration
    return RunResult(sim.truth, book.opened, sim.n, sim.config.duration.total_seconds() / 86400, n_readings,
                     index.times(), end)
