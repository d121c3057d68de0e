"""Tickets in memory: the same repository port as PostgreSQL, for unit tests and `fleet eval`'s in-process path."""
from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

from .domain import Ticket
from .errors import TicketError
from .ports import TicketRepository, event_dict


class InMemoryTicketRepository(TicketRepository):
    """Holds copies, never the caller's objects; one transaction at a time (a re-entrant lock), undone on error."""

    def __init__(self):
        self._tickets: dict[int, Ticket] = {}
        self._live: dict[tuple[str, str], int] = {}
        self._events: list[tuple] = []
        self._next_id = 1
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self):
        with self._lock:
            saved = (dict(self._tickets), dict(self._live), len(self._events), self._next_id)
            try:
                yield self
            except BaseException:
                self._tickets, self._live, self._next_id = saved[0], saved[1], saved[3]
                del self._events[saved[2]:]
                raise

    def get(self, ticket_id: int, for_update: bool = True) -> Ticket | None:
        ticket = self._tickets.get(ticket_id)
        return copy.deepcopy(ticket) if ticket is not None else None

    def get_live(self, vehicle_id: str, fault_code: str) -> Ticket | None:
        ticket_id = self._live.get((vehicle_id, fault_code))
        return self.get(ticket_id) if ticket_id is not None else None

    def add(self, ticket: Ticket) -> bool:
        with self._lock:
            if (ticket.vehicle_id, ticket.fault_code) in self._live:
                return False
            ticket.id, self._next_id = self._next_id, self._next_id + 1
            self._store(ticket)
            return True

    def save(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.id not in self._tickets:
                raise TicketError(f"ticket {ticket.id} was never added")
            self._store(ticket)

    def _store(self, ticket: Ticket) -> None:
        key = (ticket.vehicle_id, ticket.fault_code)
        holder = self._live.get(key)
        if ticket.is_live and holder not in (None, ticket.id):
            # What the partial unique index does in PostgreSQL.
            raise TicketError(f"a live ticket {holder} already exists for {key}")
        if ticket.is_live:
            self._live[key] = ticket.id
        elif holder == ticket.id:
            del self._live[key]
        for e in ticket.pending_events:
            self._events.append((len(self._events) + 1, ticket.id, e.at, e.actor, e.kind, copy.deepcopy(e.detail)))
        ticket.pending_events.clear()
        self._tickets[ticket.id] = copy.deepcopy(ticket)

    def due_for_tick(self, now: datetime, verification_window: timedelta, limit: int) -> list[Ticket]:
        due = [t for t in self._tickets.values()
               if t.is_late(now) or (t.status == "resolved" and t.resolved_at <= now - verification_window)]
        return [copy.deepcopy(t) for t in sorted(due, key=lambda t: t.id)[:limit]]

    def events(self, ticket_id: int) -> list[dict]:
        rows = [e for e in self._events if e[1] == ticket_id]
        return [event_dict(*e[:5], copy.deepcopy(e[5])) for e in sorted(rows, key=lambda e: (e[2], e[0]))]

    def tickets(self) -> list[dict]:
        """Every ticket as CONTRACT section 4 JSON, by id (for `fleet eval` reports)."""
        return [self._tickets[i].to_json() for i in sorted(self._tickets)]
