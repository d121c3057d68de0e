"""The repository port of the ticket domain: what the service needs from storage, whatever the storage is."""
from __future__ import annotations

import abc
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from .domain import Ticket


class TicketRepository(abc.ABC):
    """Loads and stores Ticket aggregates and their events; `add`/`save` write the ticket's pending events too."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager:
        """All or nothing: the changes made inside are kept together or not at all."""

    @abc.abstractmethod
    def get(self, ticket_id: int, for_update: bool = True) -> Ticket | None:
        """One ticket; `for_update` holds it against concurrent changes until the transaction ends."""

    @abc.abstractmethod
    def get_live(self, vehicle_id: str, fault_code: str) -> Ticket | None:
        """The live ticket of a (vehicle, fault), held for update, or None."""

    @abc.abstractmethod
    def add(self, ticket: Ticket) -> bool:
        """Store a new ticket and set its id; False (nothing stored) when another live ticket of the pair exists."""

    @abc.abstractmethod
    def save(self, ticket: Ticket) -> None:
        """Store the changes of a loaded ticket."""

    @abc.abstractmethod
    def due_for_tick(self, now: datetime, verification_window: timedelta, limit: int) -> list[Ticket]:
        """Held candidates for `tick`: unescalated work past due_by, resolved tickets past the window."""

    @abc.abstractmethod
    def events(self, ticket_id: int) -> list[dict]:
        """The ticket's history, oldest first: {"id", "ticket_id", "at", "actor", "kind", "detail"}."""


def event_dict(event_id: int, ticket_id: int, at: datetime, actor: str, kind: str, detail: dict) -> dict:
    return {"id": event_id, "ticket_id": ticket_id, "at": at.isoformat(), "actor": actor, "kind": kind,
            "detail": detail}
