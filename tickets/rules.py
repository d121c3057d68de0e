"""Ticket rules with no I/O: respond-by, due_by, what a live ticket is, and the policy knobs of CONTRACT section 3."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet_contract.codes import RESPOND_BY, Severity

LIVE_STATES = ("open", "assigned", "in_progress", "resolved")
# Live and still waiting for a repair: the states escalation applies to.
WORK_STATES = ("open", "assigned", "in_progress")
FINAL_STATES = ("closed", "cancelled")
OUTCOMES = ("repaired", "replaced", "no_fault_found")
PREDICTIVE_MARGIN = timedelta(hours=24)


@dataclass(frozen=True)
class TicketPolicy:
    """How long things take: verification after a repair, hold-off before a cancel, event throttling."""
    verification_window: timedelta = timedelta(days=7)
    # A condition must stay clear this long (in reading time) before its open ticket is cancelled: no flapping.
    clear_hold_off: timedelta = timedelta(hours=1)
    # At most one 'updated' event per ticket in this interval unless the change is material.
    evidence_event_interval: timedelta = timedelta(hours=1)
    # A new forecast is material when it moves by at least this much, or by this share of the time left.
    prediction_shift: timedelta = timedelta(hours=12)
    prediction_shift_share: float = 0.1


DEFAULT_POLICY = TicketPolicy()


def due_by(severity: Severity, opened_at: datetime, predicted_failure_at: datetime | None = None) -> datetime:
    """Respond-by from opening; for a predictive ticket, the earlier of that and the predicted failure minus 24 h."""
    due = opened_at + RESPOND_BY[severity]
    if predicted_failure_at is not None:
        due = min(due, predicted_failure_at - PREDICTIVE_MARGIN)
    return due


def prediction_moved(old: datetime | None, new: datetime | None, now: datetime,
                     policy: TicketPolicy = DEFAULT_POLICY) -> bool:
    """Whether a new forecast differs enough from the old one to be worth an event (forecasts jitter each reading)."""
    if old is None or new is None:
        return old is not new
    left = max(old - now, timedelta(0))
    return abs(new - old) >= max(policy.prediction_shift, left * policy.prediction_shift_share)
