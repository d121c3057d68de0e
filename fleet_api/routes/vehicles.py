from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from psycopg.rows import dict_row

from fleet_contract.topics import VEHICLE_ID
from tickets.repository import TICKET_COLUMNS
from tickets.rules import LIVE_STATES

from ..deps import AnyRole, Conn
from ..health import health_score
from ..schemas import TicketPublic, VehiclePublic

router = APIRouter(prefix="/api/v1/vehicles", tags=["vehicles"])

LATEST = {
    "battery": "SELECT ts, soc_pct, voltage_v, current_a, temp_c, cell_v_min, cell_v_max, cycles, implausible "
               "FROM battery_readings WHERE vehicle_id = %s ORDER BY ts DESC LIMIT 1",
    "brakes": "SELECT ts, pad_front_mm, pad_rear_mm, decel_mps2, lever_pct, brake_temp_c, implausible "
              "FROM brake_readings WHERE vehicle_id = %s ORDER BY ts DESC LIMIT 1",
    "status": "SELECT ts, lat, lon, speed_kmh, odometer_km, state, implausible "
              "FROM status_readings WHERE vehicle_id = %s ORDER BY ts DESC LIMIT 1",
}


def _latest_tires(cur, vehicle_id: str) -> dict | None:
    rows = cur.execute(
        "SELECT ts, position, pressure_kpa, temp_c, implausible FROM tire_readings WHERE vehicle_id = %s AND ts = "
        "(SELECT max(ts) FROM tire_readings WHERE vehicle_id = %s)", (vehicle_id, vehicle_id)).fetchall()
    if not rows:
        return None
    temps = [r["temp_c"] for r in rows if r["temp_c"] is not None]
    return {"ts": rows[0]["ts"], "pressure_kpa": {r["position"]: r["pressure_kpa"] for r in rows},
            "temp_c": temps[0] if temps else None, "implausible": rows[0]["implausible"]}


def _jsonable(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


@router.get("/{vehicle_id}", response_model=VehiclePublic, responses={404: {"description": "unknown vehicle"}})
def get_vehicle(vehicle_id: Annotated[str, Path(max_length=64)], conn: Conn, principal: AnyRole):
    """Latest reading per component, health score and live tickets of one vehicle."""
    if not VEHICLE_ID.fullmatch(vehicle_id):
        raise HTTPException(404, "unknown vehicle")
    with conn.cursor(row_factory=dict_row) as cur:
        vehicle = cur.execute("SELECT vehicle_id, type, model, zone, first_seen, last_seen, presence FROM vehicles "
                              "WHERE vehicle_id = %s", (vehicle_id,)).fetchone()
        if vehicle is None:
            raise HTTPException(404, "unknown vehicle")
        latest = {c: _jsonable(cur.execute(sql, (vehicle_id,)).fetchone()) for c, sql in LATEST.items()}
        latest["tires"] = _jsonable(_latest_tires(cur, vehicle_id))
        live = cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE vehicle_id = %s AND status = ANY(%s) "
                           "ORDER BY opened_at", (vehicle_id, list(LIVE_STATES))).fetchall()
    return VehiclePublic(**vehicle, health=health_score([t["severity"] for t in live]), latest=latest,
                         live_tickets=[TicketPublic(**t) for t in live])
