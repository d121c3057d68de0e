"""Tickets: list with filters, one ticket, its history.

Roles: ops and admin read every ticket; a crew reads its own tickets and open unassigned ones (any
other ticket is 404 to it, so a crew cannot learn of other crews' jobs).
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from psycopg.rows import dict_row

from tickets.repository import TICKET_COLUMNS
from tickets.rules import LIVE_STATES

from ..deps import MAX_OFFSET, AnyRole, Conn
from ..schemas import TicketEventPublic, TicketEventsPublic, TicketPublic, TicketsPublic

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Status = Literal["open", "assigned", "in_progress", "resolved", "closed", "cancelled", "live"]


@router.get("", response_model=TicketsPublic)
def list_tickets(
    conn: Conn, principal: AnyRole,
    status: Status | None = None,
    severity: Literal["low", "medium", "high", "critical"] | None = None,
    zone: str | None = None, vehicle_id: str | None = None, fault_code: str | None = None,
    crew: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    """Tickets, newest first; `status=live` means not closed and not cancelled. A crew sees its own and unassigned open ones."""
    where, args = [], []
    if status == "live":
        where.append("status = ANY(%s)")
        args.append(list(LIVE_STATES))
    elif status:
        where.append("status = %s")
        args.append(status)
    for col, val in (("severity", severity), ("zone", zone), ("vehicle_id", vehicle_id),
                     ("fault_code", fault_code), ("assigned_crew", crew)):
        if val is not None:
            where.append(f"{col} = %s")
            args.append(val)
    if principal.role == "crew":
        where.append("(assigned_crew = %s OR (assigned_crew IS NULL AND status = 'open'))")
        args.append(principal.crew)
    sql_where = ("WHERE " + " AND ".join(where)) if where else ""
    with conn.cursor(row_factory=dict_row) as cur:
        count = cur.execute(f"SELECT count(*) AS n FROM tickets {sql_where}", args).fetchone()["n"]
        rows = cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets {sql_where} ORDER BY opened_at DESC, id DESC "
                           "LIMIT %s OFFSET %s", [*args, limit, offset]).fetchall()
    return TicketsPublic(data=[TicketPublic(**r) for r in rows], count=count)


@router.get("/{ticket_id}", response_model=TicketPublic, responses={404: {"description": "no such ticket"}})
def get_ticket(ticket_id: TicketId, conn: Conn, principal: AnyRole):
    """One ticket."""
    return TicketPublic(**visible_ticket(conn, ticket_id, principal))


@router.get("/{ticket_id}/events", response_model=TicketEventsPublic, responses={404: {"description": "no such ticket"}})
def ticket_events(ticket_id: TicketId, conn: Conn, principal: AnyRole):
    """A ticket's history, oldest first: who did what, when."""
    visible_ticket(conn, ticket_id, principal)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT id, ticket_id, at, actor, kind, detail FROM ticket_events WHERE ticket_id = %s "
                           "ORDER BY at, id", (ticket_id,)).fetchall()
    return TicketEventsPublic(data=[TicketEventPublic(**r) for r in rows], count=len(rows))


def visible_ticket(conn, ticket_id: int, principal) -> dict:
    """The ticket row if the caller may see it, else 404."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s", (ticket_id,)).fetchone()
    if row is None or (principal.role == "crew" and row["assigned_crew"] not in (None, principal.crew)):
        raise HTTPException(404, "no such ticket")
    return row
