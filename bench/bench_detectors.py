"""Detector throughput: readings per second through every detector, in process, on one core.

Run: .venv/bin/python bench/bench_detectors.py [--vehicles 300] [--days 3] [--repeat 3]

Readings come from the simulator with the eval suite's faults (decoded once, outside the timing),
so the mix of components, rides and faults is the real one. Printed with the machine's own limit
measured in the same run: a loop that only touches every reading's fields (vehicle id, component,
each value) and routes it, with no detector work at all. The ratio says what share of that floor
the detectors reach; per-detector figures say where the time goes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.base import Detector, VehicleInfo  # noqa: E402
from detectors.evaluation.scenario import Suite, default_faults_per_code  # noqa: E402
from detectors.registry import all_detectors, by_component  # noqa: E402
from fleet_contract.payload import decode_meta, decode_readings  # noqa: E402
from fleet_contract.vehicle_models import model_for  # noqa: E402
from simulator.engine import Simulation  # noqa: E402

TICK = timedelta(minutes=1)


def load(vehicles: int, days: float, seed: int) -> tuple[list, dict]:
    sim = Simulation(Suite(vehicles, days, seed, default_faults_per_code(vehicles)).config())
    readings, infos = [], {}
    for msg in sim.messages():
        _, _, vid, kind = msg.topic.split("/")
        if kind == "meta":
            meta = decode_meta(msg.payload)
            infos[vid] = VehicleInfo(vid, meta.type, model_for(meta.model, meta.type), meta.zone)
        elif kind != "presence":
            readings.extend(decode_readings(vid, kind, msg.payload, msg.sent_at).readings)
    return readings, infos


def floor(readings: list, infos: dict) -> float:
    """Seconds for the raw loop: every reading's fields touched and routed, no detector work."""
    routes = {c: [] for c in ("battery", "brakes", "tires", "status")}
    sink = 0
    t0 = time.perf_counter()
    for r in readings:
        info = infos[r.vehicle_id]
        for _ in routes[r.component]:
            pass
        for value in r.values.values():
            sink += value is not None
        sink += r.ts.timestamp() > 0 and info is not None
    return time.perf_counter() - t0


def through(readings: list, infos: dict, detectors: list) -> float:
    """Seconds for every reading through `detectors` (score, learn, findings), their clock every minute."""
    routes = by_component(detectors)
    clocked = [d for d in detectors if type(d).tick is not Detector.tick]
    next_tick = readings[0].ts + TICK
    t0 = time.perf_counter()
    for r in readings:
        if r.ts >= next_tick:
            for d in clocked:
                d.tick(next_tick)
            next_tick += TICK
        info = infos[r.vehicle_id]
        for d in routes[r.component]:
            d.observe(r, info)
    return time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vehicles", type=int, default=300)
    p.add_argument("--days", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=99)
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept")
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the figure claims
    t0 = time.perf_counter()
    readings, infos = load(args.vehicles, args.days, args.seed)
    readings.sort(key=lambda r: r.ts)  # detectors see each vehicle in time order, as after ingest
    print(f"{len(readings):,} readings of {args.vehicles} vehicles over {args.days} days "
          f"(simulated and decoded in {time.perf_counter() - t0:.1f} s, not timed)")
    base = min(floor(readings, infos) for _ in range(args.repeat))
    total = min(through(readings, infos, all_detectors()) for _ in range(args.repeat))
    rate, base_rate = len(readings) / total, len(readings) / base
    print(f"all {len(all_detectors())} detectors: {rate:,.0f} readings/s on one core")
    print(f"floor (fields touched and routed, no detector): {base_rate:,.0f} readings/s")
    print(f"ratio detectors / floor: {rate / base_rate:.3f}  (aim: 200,000 readings/s)")
    print("per detector, alone (its own time: the loop over all readings without it subtracted):")
    empty = min(through(readings, infos, []) for _ in range(args.repeat))
    for det in all_detectors():
        mine = sum(1 for r in readings if det.component in (r.component, "any"))
        own = max(min(through(readings, infos, [type(det)()]) for _ in range(args.repeat)) - empty, 1e-9)
        print(f"  {det.name:22s} {own:6.2f} s  {mine / own:>12,.0f} of its readings/s  "
              f"({100 * own / total:4.1f} % of the total)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
