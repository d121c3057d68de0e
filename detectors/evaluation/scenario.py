"""The seeded scenario suite: a fleet, a duration, and a balanced set of injected faults (every code).

A random plan (`random:RATE`) draws codes at random, so a code can end up with few faults; the suite
instead gives each code the same number of faults, on distinct vehicles drawn by the seed, with
onsets spread over 5-60 % of the run (late enough for every detector to have learned the vehicle,
early enough for trends to show). SERVICE_DUE also happens on its own from each vehicle's schedule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from fleet_contract.codes import FAULT_CODES
from simulator.engine import SimConfig, Simulation
from simulator.faults import FaultSpec, draw_params

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
DEFAULT_SHARE = 0.35  # of the fleet with an injected fault


@dataclass(frozen=True)
class Suite:
    vehicles: int
    days: float
    seed: int
    faults_per_code: int

    def config(self) -> SimConfig:
        return SimConfig(vehicles=self.vehicles, duration=timedelta(days=self.days), seed=self.seed, start=START,
                         faults=fault_plan(self))


def default_faults_per_code(vehicles: int) -> int:
    return max(1, math.ceil(vehicles * DEFAULT_SHARE / len(FAULT_CODES)))


def fault_plan(suite: Suite) -> list[FaultSpec]:
    """`faults_per_code` faults of every code, one per vehicle, seeded."""
    fleet = Simulation(SimConfig(vehicles=suite.vehicles, duration=timedelta(days=1), seed=suite.seed)).vehicles
    rng = np.random.default_rng([suite.seed, 0xE7A1])
    codes = list(FAULT_CODES)
    need = suite.faults_per_code * len(codes)
    if need > len(fleet):
        raise ValueError(f"{need} faults need at least {need} vehicles, the suite has {len(fleet)}")
    chosen = rng.permutation(len(fleet))[:need]
    duration_s = suite.days * 86400
    specs = []
    for k, vi in enumerate(chosen.tolist()):
        v = fleet[vi]
        code = codes[k % len(codes)]
        onset = timedelta(seconds=round(duration_s * float(rng.uniform(0.05, 0.6))))
        specs.append(FaultSpec(v.vehicle_id, code, onset, None, draw_params(code, v, rng)))
    return specs
