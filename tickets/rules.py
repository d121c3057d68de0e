"""Ticket rules with no I/O: respond-by, due_by, what a live ticket is."""
from __future__ import annotations

from datetime import datetime, timedelta

from fleet_contract.codes import RESPOND_BY, Severity

LIVE_STATES = ("open", "assigned", "in_progress", "resolved")
PREDICTIVE_MARGIN = timedelta(hours=24)


def due_by(severity: Severity, opened_at: datetime, predicted_failure_at: datetime | None = None) -> datetime:
    """Respond-by from opening; for a predictive ticket, the earlier of that and the predicted failure minus 24 h."""
    due = opened_at + RESPOND_BY[severity]
    if predicted_failure_at is not None:
        due = min(due, predicted_failure_at - PREDICTIVE_MARGIN)
    return due
