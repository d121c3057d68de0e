"""The crew job list: live tickets in the crew's zone, most urgent first, nearby jobs grouped into stops.

Roles: a crew reads its own list only (another crew's: 403); ops reads any crew's list (to plan and
reassign); admin: 403. The crew's zone is its token's zone (`fleet token create --role crew --zone`);
for ops asking, the zone of that crew's newest active token. No zone: all zones.
Jobs: tickets `open` and unassigned, or assigned to / in progress with this crew.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from psycopg.rows import dict_row

from tickets.repository import TICKET_COLUMNS

from ..deps import MAX_OFFSET, Conn, OpsOrCrew
from ..errors import bad_input
from ..jobs import Job, plan_stops
from ..schemas import JobPublic, JobsPublic, StopPublic, TicketPublic

router = APIRouter(prefix="/api/v1/crews", tags=["crews"])


@router.get("/{crew}/jobs", response_model=JobsPublic)
def crew_jobs(
    crew: Annotated[str, Path(min_length=1, max_length=64)], conn: Conn, principal: OpsOrCrew,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="the crew's position")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    walk_m: Annotated[float, Query(ge=1, le=5000, description="jobs this close to a stop's first job join it")] = 300,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    """Most urgent first (severity, then due_by by the hour, then distance); jobs within walk_m share a stop."""
    if principal.role == "crew" and principal.crew != crew:
        raise HTTPException(403, "a crew reads its own job list only")
    if (lat is None) != (lon is None):
        raise bad_input("query", "lon", "give both lat and lon, or neither")
    zone = principal.zone if principal.role == "crew" else _crew_zone(conn, crew)
    where = ["(t.status = 'open' AND t.assigned_crew IS NULL OR t.status IN ('open', 'assigned', 'in_progress') "
             "AND t.assigned_crew = %(crew)s)"]
    if zone is not None:
        where.append("t.zone = %(zone)s")
    # Order and group on a few columns of every job; load whole tickets only for the page returned.
    rows = conn.execute(
        "SELECT t.id, t.severity, t.due_by, p.lat, p.lon FROM tickets t "
        "LEFT JOIN LATERAL (SELECT lat, lon FROM status_readings s WHERE s.vehicle_id = t.vehicle_id "
        "ORDER BY ts DESC LIMIT 1) p ON true "
        f"WHERE {' AND '.join(where)}", {"crew": crew, "zone": zone}).fetchall()
    jobs = [Job({"id": tid, "severity": sev, "due_by": due}, jlat, jlon) for tid, sev, due, jlat, jlon in rows]
    stops = plan_stops(jobs, lat, lon, walk_m)
    shown = stops[offset:offset + limit]
    with conn.cursor(row_factory=dict_row) as cur:
        full = {r["id"]: r for r in cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ANY(%s)",
                                                ([j.ticket["id"] for s in shown for j in s.jobs],))}
    # A ticket closed between the two reads has left the list: it is not shown.
    page = [StopPublic(lat=s.lat, lon=s.lon, distance_m=s.distance_m,
                       jobs=[JobPublic(ticket=TicketPublic(**full[j.ticket["id"]]), lat=j.lat, lon=j.lon,
                                       distance_m=j.distance_m) for j in s.jobs if j.ticket["id"] in full])
            for s in shown]
    return JobsPublic(crew=crew, zone=zone, walk_m=walk_m, data=page, count=len(stops), jobs=len(jobs))


def _crew_zone(conn, crew: str) -> str | None:
    row = conn.execute("SELECT zone FROM api_tokens WHERE role = 'crew' AND crew = %s AND revoked_at IS NULL "
                       "ORDER BY id DESC LIMIT 1", (crew,)).fetchone()
    return row[0] if row else None
