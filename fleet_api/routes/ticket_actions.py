"""The crew workflow over HTTP: assign and cancel (ops), start and resolve (crew), via tickets.service.

Roles: assign and cancel need ops; start and resolve need a crew token and act as that crew (a crew
may start an open unassigned ticket or its own assigned one; another crew's ticket is 403). Domain
errors map to statuses: unknown ticket 404, wrong state 409, another crew's ticket 403, bad input 422.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from tickets import service
from tickets.errors import InvalidTicketInput, NotYourTicket, TicketNotFound, TransitionNotAllowed

from ..deps import Conn, Crew, Ops
from ..errors import bad_input
from ..schemas import AssignBody, CancelBody, ResolveBody, TicketPublic

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ERRORS = {403: {"description": "another crew's ticket"}, 404: {"description": "no such ticket"},
          409: {"description": "not allowed in the ticket's current status"}}


def _run(action, *args) -> TicketPublic:
    try:
        return TicketPublic(**action(*args, datetime.now(timezone.utc)))
    except TicketNotFound:
        raise HTTPException(404, "no such ticket") from None
    except TransitionNotAllowed as exc:
        raise HTTPException(409, str(exc)) from None
    except NotYourTicket as exc:
        raise HTTPException(403, str(exc)) from None
    except InvalidTicketInput as exc:
        raise bad_input("body", "", str(exc)) from None


@router.post("/{ticket_id}/assign", response_model=TicketPublic, responses=ERRORS)
def assign(ticket_id: TicketId, body: AssignBody, conn: Conn, principal: Ops):
    """Hand an open or assigned ticket to a crew (ops)."""
    return _run(service.assign, conn, ticket_id, body.crew, f"ops:{principal.token_id}")


@router.post("/{ticket_id}/start", response_model=TicketPublic, responses=ERRORS)
def start(ticket_id: TicketId, conn: Conn, principal: Crew):
    """Start this crew's assigned ticket, or take an open unassigned one and start it (crew)."""
    return _run(service.start, conn, ticket_id, principal.crew)


@router.post("/{ticket_id}/resolve", response_model=TicketPublic, responses=ERRORS)
def resolve(ticket_id: TicketId, body: ResolveBody, conn: Conn, principal: Crew):
    """Resolve a ticket in progress with outcome, notes and parts (crew); no_fault_found closes it at once."""
    return _run(service.resolve, conn, ticket_id, principal.crew, body.model_dump())


@router.post("/{ticket_id}/cancel", response_model=TicketPublic, responses=ERRORS)
def cancel(ticket_id: TicketId, body: CancelBody, conn: Conn, principal: Ops):
    """Call off an unrepaired ticket with a reason (ops)."""
    return _run(service.cancel, conn, ticket_id, f"ops:{principal.token_id}", body.reason)
