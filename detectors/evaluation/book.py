"""Eval's ticket bookkeeping: findings and clearances through the ticket domain's own service, in memory.

The one place eval touches tickets: `TicketBook.apply` hands each finding or clearance to
`tickets.service.TicketService` over the in-memory repository (the same use cases and rules as the
PostgreSQL path: one live ticket per vehicle and code, evidence updates, cancel after a clear
hold-off), and remembers every ticket it opened for the matching against ground truth.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickets.memory import InMemoryTicketRepository
from tickets.service import TicketService

from ..base import Clearance, Finding


@dataclass
class OpenedTicket:
    vehicle_id: str
    fault_code: str
    opened_at: datetime      # simulated time the system opened it
    observed_at: datetime    # ts of the reading (or clock tick) that showed the fault
    detector: str
    confidence: float
    predicted_failure_at: datetime | None
    evidence: dict
    ticket_id: int | None = None


class TicketBook:
    def __init__(self):
        self.service = TicketService(InMemoryTicketRepository())
        self.opened: list[OpenedTicket] = []

    def apply(self, item: Finding | Clearance, zone: str | None, now: datetime) -> None:
        if isinstance(item, Clearance):
            self.service.apply_clearance(item, now)
            return
        change = self.service.apply_finding(item, zone, now)
        if change.kind == "opened":
            self.opened.append(OpenedTicket(item.vehicle_id, item.fault_code, now, item.observed_at, item.detector,
                                            item.confidence, item.predicted_failure_at, dict(item.evidence),
                                            change.ticket["id"]))

    def tick(self, now: datetime) -> None:
        """Escalation and closing, as the runner's clock does."""
        self.service.tick(now)
