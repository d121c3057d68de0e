"""Reading rows from the database as the detectors' Reading objects (the runner's input)."""
from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from fleet_contract.payload import Reading

from .base import VehicleInfo
from fleet_contract.vehicle_models import model_for

COLUMNS = {
    "battery": ("battery_readings", ("soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min", "cell_v_max", "cycles")),
    "brakes": ("brake_readings", ("pad_front_mm", "pad_rear_mm", "decel_mps2", "lever_pct", "brake_temp_c")),
    "status": ("status_readings", ("lat", "lon", "speed_kmh", "odometer_km", "state")),
}
TABLES = ("battery_readings", "brake_readings", "tire_readings", "status_readings")


def new_readings(conn: psycopg.Connection, after: datetime, upto: datetime) -> list[Reading]:
    """Readings stored with received_at in (after, upto], in ts order."""
    return _rows(conn, "received_at > %s AND received_at <= %s", (after, upto))


def _rows(conn: psycopg.Connection, where: str, params: tuple) -> list[Reading]:
    """Readings of every component matching `where` (over ts and received_at), in ts order."""
    out: list[Reading] = []
    for component, (table, cols) in COLUMNS.items():
        rows = conn.execute(
            f"SELECT vehicle_id, ts, received_at, seq, implausible, {', '.join(cols)} FROM {table} "
            f"WHERE {where}", params).fetchall()
        for vid, ts, received_at, seq, implausible, *vals in rows:
            values = {c: v for c, v in zip(cols, vals) if v is not None}
            out.append(Reading(vid, component, ts, values, seq, list(implausible or []), received_at))
    tires: dict[tuple[str, datetime], Reading] = {}
    rows = conn.execute(
        f"SELECT vehicle_id, ts, received_at, seq, implausible, position, pressure_kpa, temp_c FROM tire_readings "
        f"WHERE {where}", params).fetchall()
    for vid, ts, received_at, seq, implausible, pos, kpa, temp in rows:
        r = tires.get((vid, ts))
        if r is None:
            r = tires[(vid, ts)] = Reading(vid, "tires", ts, {"pressure_kpa": {}}, seq, list(implausible or []),
                                           received_at)
            if temp is not None:
                r.values["temp_c"] = temp
        r.values["pressure_kpa"][pos] = kpa
    out.extend(tires.values())
    out.sort(key=lambda r: r.ts)
    return out


def vehicles(conn: psycopg.Connection, ids: list[str]) -> dict[str, VehicleInfo]:
    rows = conn.execute("SELECT vehicle_id, type, model, zone, last_service_at, last_service_km FROM vehicles "
                        "WHERE vehicle_id = ANY(%s)", (ids,)).fetchall()
    found = {vid: VehicleInfo(vid, vtype, model_for(model, vtype), zone, at, km)
             for vid, vtype, model, zone, at, km in rows}
    return {vid: found.get(vid, VehicleInfo(vid)) for vid in ids}


def history(conn: psycopg.Connection, since_ts: datetime, upto_received: datetime,
            chunk: timedelta = timedelta(hours=1)):
    """Readings with ts from `since_ts` and received by `upto_received`, an hour of ts at a time, each in ts order.

    Bounded memory for a runner's warm-up, however large the fleet's history.
    """
    ends = [conn.execute(f"SELECT max(ts) FROM {table} WHERE received_at <= %s", (upto_received,)).fetchone()[0]
            for table in TABLES]
    end = max((e for e in ends if e is not None), default=None)
    start = since_ts
    while end is not None and start <= end:
        stop = start + chunk
        out = _rows(conn, "ts >= %s AND ts < %s AND received_at <= %s", (start, stop, upto_received))
        if out:
            yield out
        start = stop
