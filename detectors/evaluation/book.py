"""Eval's ticket bookkeeping: findings and clearances into the ticket domain's aggregate, in memory.

The one place eval touches tickets: `TicketBook.apply` keeps at most one live ticket per (vehicle,
fault code) with the domain's own rules (open, update evidence, cancel after a clear hold-off), and
remembers every ticket ever opened for the matching against ground truth.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickets.domain import Ticket
from tickets.rules import WORK_STATES

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
    ticket: Ticket


class TicketBook:
    def __init__(self):
        self.live: dict[tuple[str, str], Ticket] = {}
        self.opened: list[OpenedTicket] = []

    def apply(self, item: Finding | Clearance, zone: str | None, now: datetime) -> None:
        key = (item.vehicle_id, item.fault_code)
        ticket = self.live.get(key)
        if isinstance(item, Clearance):
            if ticket is not None and ticket.note_clear(item, now):
                del self.live[key]
            return
        if ticket is not None and ticket.status in WORK_STATES:
            ticket.update_evidence(item, now)
            return
        ticket = self.live[key] = Ticket.open(item, zone, now)
        self.opened.append(OpenedTicket(item.vehicle_id, item.fault_code, now, item.observed_at, item.detector,
                                        item.confidence, item.predicted_failure_at, dict(item.evidence), ticket))
