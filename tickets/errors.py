"""What can go wrong when working a ticket; the API maps each class to one HTTP status."""
from __future__ import annotations


class TicketError(Exception):
    """Base of every ticket-domain error."""


class TicketNotFound(TicketError):
    """No ticket with that id (API: 404)."""

    def __init__(self, ticket_id: int):
        super().__init__(f"no ticket {ticket_id}")
        self.ticket_id = ticket_id


class TransitionNotAllowed(TicketError):
    """The action does not apply to the ticket's current status (API: 409)."""

    def __init__(self, status: str, action: str, why: str = ""):
        super().__init__(f"cannot {action} a ticket that is {status}" + (f": {why}" if why else ""))
        self.status = status
        self.action = action


class NotYourTicket(TicketError):
    """A crew acting on a ticket assigned to another crew (API: 403)."""

    def __init__(self, crew: str, assigned_crew: str | None, action: str):
        super().__init__(f"crew {crew!r} cannot {action} a ticket assigned to crew {assigned_crew!r}")
        self.crew = crew
        self.assigned_crew = assigned_crew


class InvalidTicketInput(TicketError, ValueError):
    """A malformed argument: empty crew, unknown outcome, notes not text (API: 422)."""
