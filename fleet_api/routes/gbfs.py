"""GBFS feeds (outside /api/v1): 3.0 `vehicle_status.json` and 2.3 `free_bike_status.json`.

Roles: any valid token (CONTRACT section 5: every call but /healthz carries one; GBFS readers can
send it as a bearer token). `is_disabled` is true while a live critical ticket exists;
`current_fuel_percent` is the latest state of charge as a fraction 0..1; `is_reserved` is true while
the vehicle's latest status is `riding`.
"""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter
from psycopg.rows import dict_row

from ..deps import AnyRole, Conn
from ..schemas import (GbfsBike, GbfsBikeData, GbfsFreeBikeStatus, GbfsVehicle, GbfsVehicleData,
                       GbfsVehicleStatus)
from ..vehicle_state import vehicle_states

router = APIRouter(prefix="/gbfs", tags=["gbfs"])
TTL_S = 30


def _fleet(conn) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        states = vehicle_states(cur, cur.execute(
            "SELECT vehicle_id, type, model, zone, last_seen FROM vehicles ORDER BY vehicle_id").fetchall())
    for v in states:
        soc = v["soc_pct"]
        # Implausible charge readings are stored as sent; GBFS wants a fraction, so clamp.
        v["fuel"] = None if soc is None else min(1.0, max(0.0, soc / 100))
        v["reserved"] = v["state"] == "riding"
    return states


@router.get("/vehicle_status.json", response_model=GbfsVehicleStatus, response_model_exclude_none=True)
def vehicle_status(conn: Conn, principal: AnyRole):
    """GBFS 3.0 vehicle_status: data.vehicles[] with position, is_reserved, is_disabled, current_fuel_percent."""
    vehicles = [GbfsVehicle(vehicle_id=v["vehicle_id"], lat=v["lat"], lon=v["lon"], is_reserved=v["reserved"],
                            is_disabled=v["disabled"], current_fuel_percent=v["fuel"], vehicle_type_id=v["model"],
                            last_reported=v["status_ts"]) for v in _fleet(conn)]
    return GbfsVehicleStatus(last_updated=datetime.now(timezone.utc).replace(microsecond=0), ttl=TTL_S,
                             version="3.0", data=GbfsVehicleData(vehicles=vehicles))


@router.get("/free_bike_status.json", response_model=GbfsFreeBikeStatus, response_model_exclude_none=True)
def free_bike_status(conn: Conn, principal: AnyRole):
    """GBFS 2.3 free_bike_status: the same vehicles as data.bikes[] with bike_id."""
    bikes = [GbfsBike(bike_id=v["vehicle_id"], lat=v["lat"], lon=v["lon"], is_reserved=v["reserved"],
                      is_disabled=v["disabled"], current_fuel_percent=v["fuel"], vehicle_type_id=v["model"],
                      last_reported=int(datetime.fromisoformat(v["status_ts"]).timestamp()) if v["status_ts"] else None)
             for v in _fleet(conn)]
    return GbfsFreeBikeStatus(last_updated=int(datetime.now(timezone.utc).timestamp()), ttl=TTL_S, version="2.3",
                              data=GbfsBikeData(bikes=bikes))
