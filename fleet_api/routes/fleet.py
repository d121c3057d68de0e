"""Fleet summary for the ops page. Roles: ops and admin (crew: 403).

Scores every vehicle, so the answer is cached per app for a few seconds: the page polls it.
"""
from __future__ import annotations

import threading
import time
from collections import Counter

from fastapi import APIRouter, Request
from psycopg.rows import dict_row

from tickets.rules import LIVE_STATES

from ..deps import Conn, OpsOrAdmin
from ..schemas import FleetSummary
from ..vehicle_state import vehicle_states

router = APIRouter(prefix="/api/v1/fleet", tags=["fleet"])
CACHE_S = 5.0
_lock = threading.Lock()


def health_band(score: int) -> str:
    return "100" if score >= 100 else "80-99" if score >= 80 else "50-79" if score >= 50 else "0-49"


@router.get("/summary", response_model=FleetSummary)
def fleet_summary(request: Request, conn: Conn, principal: OpsOrAdmin):
    """Vehicles by state and type, in service vs disabled, live tickets by severity, health distribution."""
    cached = getattr(request.app.state, "summary_cache", None)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    with _lock, conn.cursor(row_factory=dict_row) as cur:
        vehicles = vehicle_states(cur, cur.execute(
            "SELECT vehicle_id, type, model, zone, last_seen FROM vehicles").fetchall())
        by_sev = {r["severity"]: r["n"] for r in cur.execute(
            "SELECT severity, count(*) AS n FROM tickets WHERE status = ANY(%s) GROUP BY severity",
            (list(LIVE_STATES),)).fetchall()}
    disabled = sum(v["disabled"] for v in vehicles)
    bands = Counter(health_band(v["health"]) for v in vehicles)
    summary = FleetSummary(
        vehicles=len(vehicles),
        by_state=dict(Counter(v["state"] or "unknown" for v in vehicles)),
        by_type=dict(Counter(v["type"] or "unknown" for v in vehicles)),
        in_service=len(vehicles) - disabled, disabled=disabled,
        live_tickets_by_severity={s: by_sev.get(s, 0) for s in ("critical", "high", "medium", "low")},
        health_distribution={b: bands.get(b, 0) for b in ("0-49", "50-79", "80-99", "100")},
    )
    request.app.state.summary_cache = (time.monotonic(), summary)
    return summary
