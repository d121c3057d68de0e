"""Vehicles: list with filters, one vehicle's page, its telemetry series.

Roles: ops, crew and admin all read vehicles (a crew at a site looks at any vehicle there, not only
its tickets' vehicles; admin manages vehicles).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from psycopg.rows import dict_row

from fleet_contract.topics import VEHICLE_ID
from fleet_contract.vehicle_models import model_for
from tickets.repository import TICKET_COLUMNS
from tickets.rules import LIVE_STATES

from ..deps import MAX_OFFSET, AnyRole, Conn
from ..errors import bad_input
from ..health import health_score
from ..latest import latest_readings
from ..schemas import (TelemetryPoint, TelemetryPublic, TicketPublic, VehicleListItem, VehiclePublic,
                       VehiclesPublic)
from ..vehicle_state import vehicle_states

router = APIRouter(prefix="/api/v1/vehicles", tags=["vehicles"])
VehicleId = Annotated[str, Path(min_length=1, max_length=64)]
TELEMETRY_FIELDS = {
    "battery": ("soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min", "cell_v_max"),
    "brakes": ("pad_front_mm", "pad_rear_mm", "decel_mps2", "lever_pct", "brake_temp_c"),
    "status": ("lat", "lon", "speed_kmh", "odometer_km"),
}
TABLES = {"battery": "battery_readings", "brakes": "brake_readings", "status": "status_readings"}
BUCKET = re.compile(r"(\d{1,6})\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)")
UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_POINTS = 10_000


def parse_bucket(text: str) -> timedelta:
    """'5m', '30 seconds', '1h', '1d' -> timedelta; ValueError otherwise."""
    m = BUCKET.fullmatch(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        raise ValueError("bucket must look like 30s, 5m, 1h or 1d")
    return timedelta(**{UNIT[m.group(2)[0]]: int(m.group(1))})


@router.get("", response_model=VehiclesPublic)
def list_vehicles(
    conn: Conn, principal: AnyRole,
    zone: Annotated[str | None, Query(max_length=64)] = None,
    type: Literal["ebike", "escooter", "car"] | None = None,
    health_below: Annotated[int | None, Query(ge=0, le=101)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    """Vehicles by id with position, charge, health and live tickets; filter by zone, type, health below N."""
    where, args = [], []
    for col, val in (("zone", zone), ("type", type)):
        if val is not None:
            where.append(f"{col} = %s")
            args.append(val)
    sql_where = ("WHERE " + " AND ".join(where)) if where else ""
    base = f"SELECT vehicle_id, type, model, zone, last_seen FROM vehicles {sql_where} ORDER BY vehicle_id"
    with conn.cursor(row_factory=dict_row) as cur:
        if health_below is None:
            count = cur.execute(f"SELECT count(*) AS n FROM vehicles {sql_where}", args).fetchone()["n"]
            page = vehicle_states(cur, cur.execute(base + " LIMIT %s OFFSET %s", [*args, limit, offset]).fetchall())
        else:
            # Health depends on latest readings, so the filter has to score every candidate (O(fleet)).
            scored = [v for v in vehicle_states(cur, cur.execute(base, args).fetchall()) if v["health"] < health_below]
            count, page = len(scored), scored[offset:offset + limit]
    return VehiclesPublic(data=[VehicleListItem(**v) for v in page], count=count)


@router.get("/{vehicle_id}", response_model=VehiclePublic, responses={404: {"description": "unknown vehicle"}})
def get_vehicle(vehicle_id: VehicleId, conn: Conn, principal: AnyRole):
    """Latest reading per component, health score and live tickets of one vehicle."""
    if not VEHICLE_ID.fullmatch(vehicle_id):
        raise HTTPException(404, "unknown vehicle")
    with conn.cursor(row_factory=dict_row) as cur:
        vehicle = cur.execute("SELECT vehicle_id, type, model, zone, first_seen, last_seen, presence FROM vehicles "
                              "WHERE vehicle_id = %s", (vehicle_id,)).fetchone()
        if vehicle is None:
            raise HTTPException(404, "unknown vehicle")
        latest = latest_readings(cur, [vehicle_id])[vehicle_id]
        live = cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE vehicle_id = %s AND status = ANY(%s) "
                           "ORDER BY opened_at", (vehicle_id, list(LIVE_STATES))).fetchall()
    health = health_score([(t["severity"], t["component"]) for t in live], latest,
                          model_for(vehicle["model"], vehicle["type"]))
    return VehiclePublic(**vehicle, health=health, latest=latest, live_tickets=[TicketPublic(**t) for t in live])


@router.get("/{vehicle_id}/telemetry/{component}", response_model=TelemetryPublic,
            responses={404: {"description": "unknown vehicle"}})
def telemetry(
    vehicle_id: VehicleId, component: Literal["battery", "brakes", "tires", "status"], conn: Conn, principal: AnyRole,
    start: Annotated[datetime | None, Query(alias="from", description="default: `to` − 24 h")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default: now")] = None,
    bucket: Annotated[str | None, Query(max_length=20, description="time_bucket width (30s, 5m, 1h, 1d); "
                                        "omitted: raw readings")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 5000,
):
    """A series over [from, to): raw readings, or averages per time_bucket; tires give one field per position."""
    end = _aware(end) if end else datetime.now(timezone.utc)
    start = _aware(start) if start else end - timedelta(hours=24)
    if not start < end:
        raise bad_input("query", "to", "`from` must be before `to`")
    width = None
    if bucket is not None:
        try:
            width = parse_bucket(bucket)
        except ValueError as exc:
            raise bad_input("query", "bucket", str(exc)) from None
        if (end - start) / width > MAX_POINTS:
            raise bad_input("query", "bucket", f"more than {MAX_POINTS} buckets: widen the bucket or narrow the period")
    if not VEHICLE_ID.fullmatch(vehicle_id):
        raise HTTPException(404, "unknown vehicle")
    with conn.cursor(row_factory=dict_row) as cur:
        if cur.execute("SELECT 1 FROM vehicles WHERE vehicle_id = %s", (vehicle_id,)).fetchone() is None:
            raise HTTPException(404, "unknown vehicle")
        fields, points = (_tires if component == "tires" else _wide)(cur, component, vehicle_id, start, end, width, limit)
    return TelemetryPublic(vehicle_id=vehicle_id, component=component, bucket=bucket and str(width), fields=fields,
                           data=points)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _wide(cur, component, vehicle_id, start, end, width, limit):
    fields = TELEMETRY_FIELDS[component]
    if width is None:
        sql = (f"SELECT ts, {', '.join(fields)} FROM {TABLES[component]} WHERE vehicle_id = %(v)s "
               "AND ts >= %(a)s AND ts < %(b)s ORDER BY ts LIMIT %(n)s")
    else:
        sql = (f"SELECT time_bucket(%(w)s, ts) AS ts, {', '.join(f'avg({f}) AS {f}' for f in fields)} "
               f"FROM {TABLES[component]} WHERE vehicle_id = %(v)s AND ts >= %(a)s AND ts < %(b)s "
               "GROUP BY 1 ORDER BY 1 LIMIT %(n)s")
    rows = cur.execute(sql, {"v": vehicle_id, "a": start, "b": end, "w": width, "n": limit}).fetchall()
    return list(fields), [TelemetryPoint(ts=r.pop("ts"), values=r) for r in rows]


def _tires(cur, component, vehicle_id, start, end, width, limit):
    if width is None:
        sql = ("SELECT ts, position, pressure_kpa FROM tire_readings WHERE vehicle_id = %(v)s "
               "AND ts >= %(a)s AND ts < %(b)s ORDER BY ts, position")
    else:
        sql = ("SELECT time_bucket(%(w)s, ts) AS ts, position, avg(pressure_kpa) AS pressure_kpa FROM tire_readings "
               "WHERE vehicle_id = %(v)s AND ts >= %(a)s AND ts < %(b)s GROUP BY 1, 2 ORDER BY 1, 2")
    series: dict[datetime, dict[str, float | None]] = {}
    positions: list[str] = []
    for r in cur.execute(sql, {"v": vehicle_id, "a": start, "b": end, "w": width}):
        key = f"pressure_kpa_{r['position']}"
        if key not in positions:
            positions.append(key)
        if r["ts"] not in series and len(series) >= limit:
            break
        series.setdefault(r["ts"], {})[key] = r["pressure_kpa"]
    points = [TelemetryPoint(ts=ts, values={p: vals.get(p) for p in positions}) for ts, vals in series.items()]
    return positions, points
