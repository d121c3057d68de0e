"""Fault specifications: what may be injected, their defaults, random plans and scenario files.

`FaultSpec.rate` and `params` by code (defaults in brackets; `position` is a
tire position of the vehicle's model, `pad` is "front" or "rear"):

| code | rate | params |
|---|---|---|
| BATTERY_OVERTEMP | pack heating in K per minute on top of physics [3.0] | |
| BATTERY_CELL_IMBALANCE | cell spread growth in V per day [0.02] | |
| BATTERY_CAPACITY_FADE | state-of-health loss per day, a fraction [0.004] | `health`: SoH set at onset [0.86] |
| BATTERY_SELF_DISCHARGE | hidden SoC loss in % per hour, current stays ~0 [0.8] | |
| BRAKE_PAD_WEAR | multiplier of the normal wear per braking energy [10] | `pad` [front] |
| BRAKE_PAD_WORN | (unused) | `pad` [front], `pad_mm`: thickness set at onset [pad_min_mm - 0.1] |
| BRAKE_WEAK | fraction of braking efficiency lost at onset [0.4] | |
| TIRE_SLOW_LEAK | leak in fraction of gauge pressure per day [0.03] | `position` [rear] |
| TIRE_FLAT | (unused) | `position` [front/fl], `fraction`: of recommended left [0.15] |
| TIRE_UNDERINFLATED | (unused) | `position`, `fraction`: of recommended [0.80] |
| SENSOR_STUCK | (unused) | `component` [battery], `field` [temp_c]: frozen at its value at onset |
| SENSOR_IMPLAUSIBLE | share of that component's readings that are impossible [0.3] | `component`, `field`, `value` [battery, temp_c, 900.0] |
| VEHICLE_SILENT | (unused) | |
| FLEET_OUTLIER | multiplier of the pack's heating per watt vs its peers [2.0] | |
| SERVICE_DUE | (unused) | the vehicle's last service is moved so that it falls due at onset |
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

from fleet_contract.codes import FAULT_CODES

DEFAULT_RATE = {
    "BATTERY_OVERTEMP": 3.0,
    "BATTERY_CELL_IMBALANCE": 0.02,
    "BATTERY_CAPACITY_FADE": 0.004,
    "BATTERY_SELF_DISCHARGE": 0.8,
    "BRAKE_PAD_WEAR": 10.0,
    "BRAKE_WEAK": 0.4,
    "TIRE_SLOW_LEAK": 0.03,
    "SENSOR_IMPLAUSIBLE": 0.3,
    "FLEET_OUTLIER": 2.0,
}

# Codes a random plan draws from; SERVICE_DUE happens by itself from each vehicle's schedule.
RANDOM_CODES = tuple(c for c in FAULT_CODES if c != "SERVICE_DUE")

# Sensor signals a SENSOR_STUCK / SENSOR_IMPLAUSIBLE fault can hit, with an impossible value for each.
IMPLAUSIBLE = {
    ("battery", "temp_c"): 900.0,
    ("battery", "soc_pct"): 150.0,
    ("battery", "voltage_v"): -5.0,
    ("status", "speed_kmh"): 400.0,
}
STUCK_SIGNALS = (("battery", "temp_c"), ("battery", "voltage_v"), ("status", "speed_kmh"))


@dataclass
class FaultSpec:
    vehicle_id: str
    fault_code: str          # any code of CONTRACT section 2
    onset: timedelta         # after simulation start
    rate: float | None = None  # progression rate, meaning per code (module docstring)
    params: dict = field(default_factory=dict)

    def effective_rate(self) -> float | None:
        return self.rate if self.rate is not None else DEFAULT_RATE.get(self.fault_code)


def validate(spec: FaultSpec) -> None:
    """Raise ValueError with a one-line reason for a spec the simulator cannot inject."""
    if spec.fault_code not in FAULT_CODES:
        raise ValueError(f"unknown fault code {spec.fault_code!r} (one of {', '.join(FAULT_CODES)})")
    if spec.onset < timedelta(0):
        raise ValueError(f"fault onset must not be negative, got {spec.onset}")
    if spec.rate is not None and not spec.rate > 0:
        raise ValueError(f"fault rate must be positive, got {spec.rate}")


def parse_random(text: str) -> float:
    """The RATE of "random:RATE" (expected faults per vehicle over the run, 0..1)."""
    if not text.startswith("random:"):
        raise ValueError(f"expected random:RATE, got {text!r}")
    try:
        rate = float(text.split(":", 1)[1])
    except ValueError:
        raise ValueError(f"random:RATE needs a number, got {text!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"random:RATE must be between 0 and 1 (at most one fault per vehicle), got {rate}")
    return rate


def random_plan(vehicles, duration: timedelta, rate: float, seed: int) -> list[FaultSpec]:
    """At most one fault per vehicle, each with probability `rate`, onset in 5-60 % of the run."""
    rng = np.random.default_rng([seed, 0xFA17])
    specs = []
    for v in vehicles:
        if rng.random() >= rate:
            continue
        code = RANDOM_CODES[int(rng.integers(len(RANDOM_CODES)))]
        onset = duration * float(rng.uniform(0.05, 0.6))
        onset = timedelta(seconds=round(onset.total_seconds()))
        specs.append(FaultSpec(v.vehicle_id, code, onset, None, draw_params(code, v, rng)))
    return specs


def draw_params(code: str, vehicle, rng: np.random.Generator) -> dict:
    """The random part of a fault: which tire, which pad, which signal (shared with eval's suite)."""
    params: dict = {}
    if code.startswith("TIRE_"):
        positions = vehicle.model.tire_positions
        params["position"] = positions[int(rng.integers(len(positions)))]
    elif code in ("BRAKE_PAD_WEAR", "BRAKE_PAD_WORN"):
        params["pad"] = "front" if rng.random() < 0.6 else "rear"
    elif code == "SENSOR_IMPLAUSIBLE":
        comp, fld = list(IMPLAUSIBLE)[int(rng.integers(len(IMPLAUSIBLE)))]
        params.update(component=comp, field=fld, value=IMPLAUSIBLE[(comp, fld)])
    elif code == "SENSOR_STUCK":
        comp, fld = STUCK_SIGNALS[int(rng.integers(len(STUCK_SIGNALS)))]
        params.update(component=comp, field=fld)
    return params


def load_scenario(path: str | Path) -> list[FaultSpec]:
    """A scenario file: JSON lines of FaultSpec fields, the onset in hours as "onset_h"."""
    specs = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                row = json.loads(line)
                spec = FaultSpec(
                    vehicle_id=str(row["vehicle_id"]),
                    fault_code=str(row["fault_code"]),
                    onset=timedelta(hours=float(row.get("onset_h", 0.0))),
                    rate=None if row.get("rate") is None else float(row["rate"]),
                    params=dict(row.get("params") or {}),
                )
                validate(spec)
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{lineno}: bad fault line: {e}") from None
            specs.append(spec)
    return specs
