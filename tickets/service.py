"""The ticket service layer: one use case per method, each in one transaction over a repository port.

`TicketService(repo)` works over any `TicketRepository` (the in-memory one for unit tests and `fleet eval`);
the module-level functions are the same use cases bound to a psycopg connection.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from detectors.base import Clearance, Finding

from .domain import SYSTEM, Ticket
from .errors import InvalidTicketInput, NotYourTicket, TicketError, TicketNotFound, TransitionNotAllowed
from .ports import TicketRepository
from .repository import PostgresTicketRepository
from .rules import DEFAULT_POLICY, TicketPolicy

__all__ = ["TicketError", "TicketNotFound", "TransitionNotAllowed", "NotYourTicket", "InvalidTicketInput",
           "TicketChange", "TicketService", "apply_finding", "apply_clearance", "assign", "start", "resolve",
           "cancel", "tick", "get", "events"]
PUBLISHED_KINDS = ("opened", "escalated", "reopened")
TICK_LIMIT = 1000  # tickets handled per tick: bounds one transaction; the rest wait for the next tick
RACE_RETRIES = 3


@dataclass
class TicketChange:
    ticket: dict  # CONTRACT section 4 JSON
    kind: str  # 'opened' | 'updated' | 'reopened' | 'escalated' | 'cancelled' | 'closed' | ...
    publish: bool  # the runner publishes `ticket` to fleet/v1/tickets/{zone} at QoS 1


def _change(ticket: Ticket, kind: str) -> TicketChange:
    return TicketChange(ticket.to_json(), kind, kind in PUBLISHED_KINDS)


class TicketService:
    def __init__(self, repo: TicketRepository, policy: TicketPolicy = DEFAULT_POLICY):
        self.repo = repo
        self.policy = policy

    def apply_finding(self, finding: Finding, zone: str | None, now: datetime) -> TicketChange:
        """Open a ticket, update the live one, or reopen it if resolved; never a second live ticket."""
        with self.repo.transaction():
            for _ in range(RACE_RETRIES):
                live = self.repo.get_live(finding.vehicle_id, finding.fault_code)
                if live is not None and live.verification_over(now, self.policy):
                    live.close(now)  # the window passed before tick saw it: this is a new fault
                    self.repo.save(live)
                    live = None
                if live is None:
                    ticket = Ticket.open(finding, zone, now)
                    if self.repo.add(ticket):
                        return _change(ticket, "opened")
                    continue  # a concurrent raiser committed first: update its ticket instead
                if live.status == "resolved":
                    if finding.observed_at < live.resolved_at:
                        return _change(live, "updated")  # a reading from before the repair, flushed late
                    live.reopen(finding, now)
                    self.repo.save(live)
                    return _change(live, "reopened")
                live.update_evidence(finding, now, self.policy)
                self.repo.save(live)
                return _change(live, "updated")
            raise TicketError(f"no settled live ticket for {finding.vehicle_id}/{finding.fault_code}")

    def apply_clearance(self, clearance: Clearance, now: datetime) -> TicketChange | None:
        """Cancel an open, unassigned ticket once its condition has stayed clear for the hold-off; else None."""
        with self.repo.transaction():
            live = self.repo.get_live(clearance.vehicle_id, clearance.fault_code)
            if live is None or live.status != "open":
                return None
            before = live.clear_since
            cancelled = live.note_clear(clearance, now, self.policy)
            if cancelled or live.clear_since != before:
                self.repo.save(live)
            return _change(live, "cancelled") if cancelled else None

    def _act(self, ticket_id: int, act) -> dict:
        with self.repo.transaction():
            ticket = self.repo.get(ticket_id)
            if ticket is None:
                raise TicketNotFound(ticket_id)
            act(ticket)
            self.repo.save(ticket)
            return ticket.to_json()

    def assign(self, ticket_id: int, crew: str, actor: str, now: datetime) -> dict:
        return self._act(ticket_id, lambda t: t.assign(crew, actor, now))

    def start(self, ticket_id: int, crew: str, now: datetime) -> dict:
        return self._act(ticket_id, lambda t: t.start(crew, now))

    def resolve(self, ticket_id: int, crew: str, resolution: dict, now: datetime) -> dict:
        return self._act(ticket_id, lambda t: t.resolve(crew, resolution, now))

    def cancel(self, ticket_id: int, actor: str, reason: str, now: datetime) -> dict:
        return self._act(ticket_id, lambda t: t.cancel(actor, reason, now))

    def tick(self, now: datetime) -> list[TicketChange]:
        """Escalate late unresolved tickets once; close resolved ones whose verification window passed."""
        changes = []
        with self.repo.transaction():
            for ticket in self.repo.due_for_tick(now, self.policy.verification_window, TICK_LIMIT):
                if ticket.is_late(now):
                    ticket.escalate(now, SYSTEM)
                    kind = "escalated"
                elif ticket.verification_over(now, self.policy):
                    ticket.close(now, SYSTEM, "verified")
                    kind = "closed"
                else:
                    continue
                self.repo.save(ticket)
                changes.append(_change(ticket, kind))
        return changes

    def get(self, ticket_id: int) -> dict:
        with self.repo.transaction():
            ticket = self.repo.get(ticket_id, for_update=False)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket.to_json()

    def events(self, ticket_id: int) -> list[dict]:
        with self.repo.transaction():
            if self.repo.get(ticket_id, for_update=False) is None:
                raise TicketNotFound(ticket_id)
            return self.repo.events(ticket_id)


def _service(conn: psycopg.Connection) -> TicketService:
    return TicketService(PostgresTicketRepository(conn))


def apply_finding(conn: psycopg.Connection, finding: Finding, zone: str | None, now: datetime) -> TicketChange:
    return _service(conn).apply_finding(finding, zone, now)


def apply_clearance(conn: psycopg.Connection, clearance: Clearance, now: datetime) -> TicketChange | None:
    return _service(conn).apply_clearance(clearance, now)


def assign(conn: psycopg.Connection, ticket_id: int, crew: str, actor: str, now: datetime) -> dict:
    return _service(conn).assign(ticket_id, crew, actor, now)


def start(conn: psycopg.Connection, ticket_id: int, crew: str, now: datetime) -> dict:
    return _service(conn).start(ticket_id, crew, now)


def resolve(conn: psycopg.Connection, ticket_id: int, crew: str, resolution: dict, now: datetime) -> dict:
    return _service(conn).resolve(ticket_id, crew, resolution, now)


def cancel(conn: psycopg.Connection, ticket_id: int, actor: str, reason: str, now: datetime) -> dict:
    return _service(conn).cancel(ticket_id, actor, reason, now)


def tick(conn: psycopg.Connection, now: datetime) -> list[TicketChange]:
    return _service(conn).tick(now)


def get(conn: psycopg.Connection, ticket_id: int) -> dict:
    return _service(conn).get(ticket_id)


def events(conn: psycopg.Connection, ticket_id: int) -> list[dict]:
    return _service(conn).events(ticket_id)
