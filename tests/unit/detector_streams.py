"""Synthetic reading streams for detector unit tests: a healthy e-bike, and helpers to bend one signal."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

from detectors.base import VehicleInfo
from fleet_contract.payload import Reading
from fleet_contract.vehicle_models import MODELS

T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
MODEL = MODELS["urban-e1"]
BIKE = VehicleInfo("EB-1", "ebike", MODEL, "north", T0 - timedelta(days=10), 1000.0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def battery(minutes, soc=60.0, current=0.01, temp=12.0, spread=0.012, vid="EB-1", voltage=None, implausible=()):
    cell = 3.5 + soc / 200
    return Reading(vid, "battery", at(minutes),
                   {"soc_pct": round(soc, 1), "voltage_v": voltage if voltage is not None else round(10 * cell, 2),
                    "current_a": current, "temp_c": temp, "cell_v_min": round(cell - 0.6 * spread, 3),
                    "cell_v_max": round(cell + 0.4 * spread, 3), "cycles": 120}, None, list(implausible))


def brakes(minutes, front=3.0, rear=3.2, decel=None, lever=None, vid="EB-1"):
    values = {"pad_front_mm": round(front, 2), "pad_rear_mm": round(rear, 2), "brake_temp_c": 12.0}
    if decel is not None:
        values.update(decel_mps2=decel, lever_pct=lever)
    return Reading(vid, "brakes", at(minutes), values)


def tires(minutes, front=350.0, rear=350.0, temp=12.0, vid="EB-1"):
    return Reading(vid, "tires", at(minutes), {"pressure_kpa": {"front": round(front, 1), "rear": round(rear, 1)},
                                               "temp_c": temp})


def status(minutes, odometer=1200.0, state="parked", speed=0.0, vid="EB-1"):
    return Reading(vid, "status", at(minutes), {"lat": 52.5, "lon": 13.4, "speed_kmh": speed,
                                                "odometer_km": round(odometer, 2), "state": state})


def healthy_day(days: float = 2.0, seed: int = 1) -> list[Reading]:
    """A healthy e-bike: parked readings every 15 min, a 12-minute ride every 3 hours (30 s readings)."""
    rng = random.Random(seed)
    out = []
    soc, temp, odo = 80.0, 10.0, 1200.0
    front, rear = 3.0, 3.2
    minute = 0.0
    while minute < days * 1440:
        ride = int(minute) % 180 < 12
        step = 0.5 if ride else 15.0
        if ride:
            current = 5.5 + rng.uniform(-1, 1)
            soc -= current * step * 60 / 36 / MODEL.battery_capacity_ah
            temp += (10 + 8 * current * current / 30 - temp) * (1 - math.exp(-step / 15))
            odo += 17 * step / 60
            front -= 0.0004
            rear -= 0.0003
        else:
            current = 0.01
            temp += (10 - temp) * (1 - math.exp(-step / 15))
        out.append(battery(minute, soc, round(current + rng.gauss(0, 0.02), 2), round(temp + rng.gauss(0, 0.1), 1)))
        out.append(status(minute, odo, "riding" if ride else "parked", round(17 + rng.uniform(-5, 5), 1) if ride else 0.0))
        if int(minute) % 60 == 0 or ride and int(minute * 2) % 4 == 0:
            lever = rng.randint(20, 70)
            out.append(brakes(minute, front, rear, round(MODEL.full_decel_mps2 * lever / 100 * rng.uniform(0.96, 1.04), 2),
                              lever))
        if int(minute) % 30 == 0:
            out.append(tires(minute, 352 + rng.gauss(0, 0.3), 351 + rng.gauss(0, 0.3), round(temp, 1)))
        minute += step
    return out
