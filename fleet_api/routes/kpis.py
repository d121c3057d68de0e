"""Service KPIs over [from, to). Roles: ops and admin (crew: 403). SQL only loads; fleet_api/kpis.py computes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Query
from psycopg.rows import dict_row

from ..deps import Conn, OpsOrAdmin
from ..errors import bad_input
from ..kpis import TicketFacts, compute_kpis
from ..schemas import KpisPublic

router = APIRouter(prefix="/api/v1", tags=["kpis"])
MAX_PERIOD = timedelta(days=366)


@router.get("/kpis", response_model=KpisPublic, response_model_by_alias=True)
def kpis(
    conn: Conn, principal: OpsOrAdmin,
    start: Annotated[datetime | None, Query(alias="from", description="default: `to` − 7 days")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default: now")] = None,
):
    """Mean time to repair, resolved within respond-by, first-time fix, false alarms, detection lead time, availability."""
    end = _aware(end) if end else datetime.now(timezone.utc)
    start = _aware(start) if start else end - timedelta(days=7)
    if not start < end:
        raise bad_input("query", "to", "`from` must be before `to`")
    if end - start > MAX_PERIOD:
        raise bad_input("query", "from", "the period may span at most 366 days")
    with conn.cursor(row_factory=dict_row) as cur:
        tickets, first_seen = load_facts(cur, start, end)
    figures = compute_kpis(tickets, first_seen, start, end)
    return KpisPublic(start=start, end=end, **figures)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_facts(cur, start: datetime, end: datetime) -> tuple[list[TicketFacts], dict[str, datetime]]:
    """Tickets touching the period, with their resolve/reopen events and critical live spans."""
    rows = cur.execute(
        "SELECT id, vehicle_id, severity, status, opened_at, updated_at, due_by, predicted_failure_at, resolution, "
        "closed_at FROM tickets t WHERE opened_at < %(b)s AND (status NOT IN ('closed', 'cancelled') "
        "OR coalesce(closed_at, updated_at) >= %(a)s OR EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id "
        "AND e.at >= %(a)s AND e.at < %(b)s))", {"a": start, "b": end}).fetchall()
    facts = {r["id"]: TicketFacts(r["id"], r["vehicle_id"], r["opened_at"], r["due_by"], r["predicted_failure_at"])
             for r in rows}
    resolution_of = {r["id"]: (r["resolution"] or {}).get("outcome") for r in rows}
    critical_from: dict[int, datetime] = {}
    for e in cur.execute("SELECT ticket_id, at, kind, detail FROM ticket_events WHERE ticket_id = ANY(%s) "
                         "ORDER BY at, id", (list(facts),)).fetchall():
        t, detail = facts[e["ticket_id"]], e["detail"] or {}
        if e["kind"] == "resolved":
            outcome = (detail.get("outcome") or (detail.get("resolution") or {}).get("outcome")
                       or resolution_of[e["ticket_id"]])
            if outcome:
                t.resolutions.append((e["at"], outcome))
        elif e["kind"] == "reopened":
            t.reopens.append(e["at"])
        if "critical" in (detail.get("severity"), detail.get("to")) and e["ticket_id"] not in critical_from:
            critical_from[e["ticket_id"]] = e["at"]  # opened as, or escalated to, critical
    for r in rows:
        if r["severity"] != "critical":
            continue
        begin = critical_from.get(r["id"], r["opened_at"])
        ended = None if r["status"] not in ("closed", "cancelled") else (r["closed_at"] or r["updated_at"])
        facts[r["id"]].disabled.append((begin, ended))
    first_seen = {r["vehicle_id"]: r["first_seen"] for r in cur.execute(
        "SELECT vehicle_id, first_seen FROM vehicles WHERE first_seen < %s", (end,)).fetchall()}
    return list(facts.values()), first_seen
