"""Latest reading per component for a set of vehicles: one LATERAL index probe per vehicle and component."""
from __future__ import annotations

from datetime import datetime

COLUMNS = {
    "battery": "ts, soc_pct, voltage_v, current_a, temp_c, cell_v_min, cell_v_max, cycles, implausible",
    "brakes": "ts, pad_front_mm, pad_rear_mm, decel_mps2, lever_pct, brake_temp_c, implausible",
    "status": "ts, lat, lon, speed_kmh, odometer_km, state, implausible",
}
TABLES = {"battery": "battery_readings", "brakes": "brake_readings", "status": "status_readings",
          "tires": "tire_readings"}


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def latest_readings(cur, vehicle_ids: list[str], components=("battery", "brakes", "tires", "status"),
                    ) -> dict[str, dict[str, dict | None]]:
    """{vehicle_id: {component: latest reading (times as RFC 3339) or None}}; `cur` has a dict_row factory."""
    out = {v: {c: None for c in components} for v in vehicle_ids}
    if not vehicle_ids:
        return out
    for comp in components:
        if comp == "tires":
            rows = cur.execute(
                "SELECT v.vehicle_id, t.ts, t.position, t.pressure_kpa, t.temp_c, t.implausible "
                "FROM unnest(%s::text[]) AS v(vehicle_id) "
                "CROSS JOIN LATERAL (SELECT max(ts) AS ts FROM tire_readings r WHERE r.vehicle_id = v.vehicle_id) m "
                "JOIN tire_readings t ON t.vehicle_id = v.vehicle_id AND t.ts = m.ts", (vehicle_ids,)).fetchall()
            for r in rows:
                cur_tires = out[r["vehicle_id"]]["tires"]
                if cur_tires is None:
                    cur_tires = out[r["vehicle_id"]]["tires"] = {
                        "ts": r["ts"].isoformat(), "pressure_kpa": {}, "temp_c": None, "implausible": r["implausible"]}
                cur_tires["pressure_kpa"][r["position"]] = r["pressure_kpa"]
                if cur_tires["temp_c"] is None:
                    cur_tires["temp_c"] = r["temp_c"]
            continue
        rows = cur.execute(
            f"SELECT v.vehicle_id, x.* FROM unnest(%s::text[]) AS v(vehicle_id) "
            f"CROSS JOIN LATERAL (SELECT {COLUMNS[comp]} FROM {TABLES[comp]} r WHERE r.vehicle_id = v.vehicle_id "
            "ORDER BY ts DESC LIMIT 1) x", (vehicle_ids,)).fetchall()
        for r in rows:
            vehicle_id = r.pop("vehicle_id")  # before _jsonable(r): the right side is evaluated first
            out[vehicle_id][comp] = _jsonable(r)
    return out
