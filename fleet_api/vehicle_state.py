"""A vehicle's current state for lists, the map, the summary and GBFS: position, charge, health, disabled."""
from __future__ import annotations

from fleet_contract.vehicle_models import model_for
from tickets.rules import LIVE_STATES

from .health import health_score
from .latest import latest_readings

CHUNK = 5000  # vehicles per round of LATERAL probes: bounded memory and query size


def live_tickets_by_vehicle(cur, vehicle_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{vehicle_id: [(severity, component), ...]} of live tickets."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in cur.execute("SELECT vehicle_id, severity, component FROM tickets WHERE vehicle_id = ANY(%s) "
                         "AND status = ANY(%s)", (vehicle_ids, list(LIVE_STATES))).fetchall():
        out.setdefault(r["vehicle_id"], []).append((r["severity"], r["component"]))
    return out


def vehicle_states(cur, vehicles: list[dict]) -> list[dict]:
    """Each vehicle row (vehicle_id, type, model, zone, last_seen) with lat, lon, state, soc_pct, health,
    live_tickets and disabled; `cur` has a dict_row factory."""
    out = []
    for i in range(0, len(vehicles), CHUNK):
        chunk = vehicles[i:i + CHUNK]
        ids = [v["vehicle_id"] for v in chunk]
        latest = latest_readings(cur, ids)
        live = live_tickets_by_vehicle(cur, ids)
        for v in chunk:
            lt, tickets = latest[v["vehicle_id"]], live.get(v["vehicle_id"], [])
            status, battery = lt["status"] or {}, lt["battery"] or {}
            out.append({
                "vehicle_id": v["vehicle_id"], "type": v["type"], "model": v["model"], "zone": v["zone"],
                "last_seen": v["last_seen"], "lat": status.get("lat"), "lon": status.get("lon"),
                "state": status.get("state"), "soc_pct": battery.get("soc_pct"),
                "health": health_score(tickets, lt, model_for(v["model"], v["type"])),
                "live_tickets": len(tickets), "disabled": any(sev == "critical" for sev, _ in tickets),
                "status_ts": status.get("ts"),
            })
    return out
