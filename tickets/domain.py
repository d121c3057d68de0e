"""The ticket aggregate of CONTRACT section 3, with no I/O: each method checks one transition and records its event.

Decisions (see also docs in the module functions):
- `open` means unassigned: a reopened ticket goes back to `open` with its crew cleared (the previous crew and
  resolution are kept in the 'reopened' event), so ops dispatches it again and any crew of the zone may take it.
- A reopen restarts the respond-by clock from the reopen; escalation stays once per ticket, over its whole life.
- Evidence updates always refresh the row, but write an 'updated' event only when severity, due_by or the
  forecast change materially, or at most once per `evidence_event_interval`: no event flood from a hovering signal.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from detectors.base import Clearance, Finding
from fleet_contract.codes import Severity

from .errors import InvalidTicketInput, NotYourTicket, TransitionNotAllowed
from .rules import DEFAULT_POLICY, OUTCOMES, WORK_STATES, TicketPolicy, due_by, prediction_moved

# CONTRACT section 4's keys, in order; also the API's select list.
TICKET_COLUMNS = (
    "id, vehicle_id, component, fault_code, severity, status, opened_at, updated_at, due_by, "
    "predicted_failure_at, escalated, reopen_count, detector, confidence, evidence, assigned_crew, zone, resolution"
)
CONTRACT_KEYS = tuple(TICKET_COLUMNS.split(", "))
SYSTEM = "system"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_json(row: dict) -> dict:
    """A ticket row (or `Ticket.to_row()`) as CONTRACT section 4's JSON (times as RFC 3339)."""
    out = {}
    for key in CONTRACT_KEYS:
        value = row.get(key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Severity):
            value = value.value
        out[key] = value
    return out


@dataclass
class TicketEvent:
    """One change to a ticket: who, when, what."""
    at: datetime
    actor: str
    kind: str
    detail: dict


@dataclass(eq=False)
class Ticket:
    vehicle_id: str
    component: str
    fault_code: str
    severity: Severity
    status: str
    opened_at: datetime
    updated_at: datetime
    due_by: datetime
    detector: str
    predicted_failure_at: datetime | None = None
    escalated: bool = False
    reopen_count: int = 0
    confidence: float | None = None
    evidence: dict = field(default_factory=dict)
    assigned_crew: str | None = None
    zone: str | None = None
    resolution: dict | None = None
    id: int | None = None
    detected_from: datetime | None = None  # ts of the first reading that showed the fault
    source_received_at: datetime | None = None  # when ingest stored that reading: detection latency
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_evidence_event_at: datetime | None = None
    clear_since: datetime | None = None  # reading time from which the condition has stayed clear
    pending_events: list[TicketEvent] = field(default_factory=list, repr=False)

    # ---- construction and views -------------------------------------------------------------------------------
    @classmethod
    def open(cls, finding: Finding, zone: str | None, now: datetime) -> "Ticket":
        """A new ticket for a finding with no live ticket of its (vehicle, fault)."""
        severity = finding.effective_severity
        ticket = cls(vehicle_id=finding.vehicle_id, component=finding.component, fault_code=finding.fault_code,
                     severity=severity, status="open", opened_at=now, updated_at=now,
                     due_by=due_by(severity, now, finding.predicted_failure_at), detector=finding.detector,
                     predicted_failure_at=finding.predicted_failure_at, confidence=finding.confidence,
                     evidence=dict(finding.evidence), zone=zone, detected_from=finding.observed_at,
                     source_received_at=finding.received_at, last_evidence_event_at=now)
        ticket._record(now, finding.detector, "opened", ticket._evidence_detail())
        return ticket

    @classmethod
    def from_row(cls, row: dict) -> "Ticket":
        known = {f.name for f in fields(cls)} - {"pending_events"}
        values = {k: v for k, v in row.items() if k in known}
        values["severity"] = Severity(values["severity"])
        return cls(**values)

    def to_row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "pending_events"}

    def to_json(self) -> dict:
        return ticket_json(self.to_row())

    @property
    def is_live(self) -> bool:
        return self.status not in ("closed", "cancelled")

    # ---- detector side ----------------------------------------------------------------------------------------
    def update_evidence(self, finding: Finding, now: datetime, policy: TicketPolicy = DEFAULT_POLICY) -> bool:
        """New evidence for a live, unrepaired ticket; True when it was worth an 'updated' event."""
        self._require("update the evidence of", WORK_STATES)
        old_severity, old_due, old_prediction = self.severity, self.due_by, self.predicted_failure_at
        raised = finding.effective_severity.rank > self.severity.rank
        if raised:
            self.severity = finding.effective_severity
        if finding.predicted_failure_at is not None:
            self.predicted_failure_at = finding.predicted_failure_at
        # A higher severity restarts its (shorter) respond-by from now, never from the original opening.
        candidate = due_by(self.severity, now if raised else self.opened_at, self.predicted_failure_at)
        self.due_by = min(self.due_by, candidate)
        self.evidence, self.confidence = dict(finding.evidence), finding.confidence
        self.updated_at = now
        self.clear_since = None
        material = (self.severity != old_severity or self.due_by != old_due
                    or prediction_moved(old_prediction, self.predicted_failure_at, now, policy))
        last = self.last_evidence_event_at or self.opened_at
        if not material and now - last < policy.evidence_event_interval:
            return False
        self.last_evidence_event_at = now
        self._record(now, finding.detector, "updated", {**self._evidence_detail(), "material": material})
        return True

    def note_clear(self, clearance: Clearance, now: datetime, policy: TicketPolicy = DEFAULT_POLICY) -> bool:
        """The condition looked clear; cancel an open, unassigned ticket once it has stayed clear for the hold-off."""
        if self.status != "open" or self.assigned_crew is not None:
            return False
        if self.clear_since is None:
            self.clear_since = clearance.observed_at
        if clearance.observed_at - self.clear_since < policy.clear_hold_off:
            return False
        self._cancel(clearance.detector, "condition cleared", now, {"clear_since": _iso(self.clear_since)})
        return True

    def reopen(self, finding: Finding, now: datetime) -> None:
        """The fault came back inside the verification window: back to open, unassigned, reopen_count + 1."""
        self._require("reopen", ("resolved",))
        previous_crew, previous_resolution = self.assigned_crew, self.resolution
        self.status, self.assigned_crew, self.resolution, self.resolved_at = "open", None, None, None
        self.reopen_count += 1
        if finding.effective_severity.rank > self.severity.rank:
            self.severity = finding.effective_severity
        self.predicted_failure_at = finding.predicted_failure_at or self.predicted_failure_at
        self.due_by = due_by(self.severity, now, finding.predicted_failure_at)
        self.evidence, self.confidence = dict(finding.evidence), finding.confidence
        self.updated_at = self.last_evidence_event_at = now
        self.clear_since = None
        self._record(now, finding.detector, "reopened", {
            **self._evidence_detail(), "reopen_count": self.reopen_count,
            "previous_crew": previous_crew, "previous_resolution": previous_resolution})

    # ---- system side ------------------------------------------------------------------------------------------
    def is_late(self, now: datetime) -> bool:
        return self.status in WORK_STATES and not self.escalated and now > self.due_by

    def escalate(self, now: datetime, actor: str = SYSTEM) -> None:
        """Late and not resolved: severity up one level, `escalated`; only once in a ticket's life."""
        if not self.is_late(now):
            why = "already escalated" if self.escalated else "not past due_by"
            self._require("escalate", WORK_STATES)
            raise TransitionNotAllowed(self.status, "escalate", why)
        old = self.severity
        self.severity, self.escalated, self.updated_at = old.raised(), True, now
        self._record(now, actor, "escalated", {"from": old.value, "to": self.severity.value,
                                               "due_by": _iso(self.due_by)})

    def verification_over(self, now: datetime, policy: TicketPolicy = DEFAULT_POLICY) -> bool:
        return self.status == "resolved" and now - self.resolved_at >= policy.verification_window

    def close(self, now: datetime, actor: str = SYSTEM, reason: str = "verified") -> None:
        """A resolved ticket whose fault did not return (or a false alarm) is done."""
        self._require("close", ("resolved",))
        self.status, self.closed_at, self.updated_at = "closed", now, now
        self._record(now, actor, "closed", {"reason": reason})

    # ---- crew and ops side ------------------------------------------------------------------------------------
    def assign(self, crew: str, actor: str, now: datetime) -> bool:
        """Ops hands an open or assigned ticket to a crew; False (no event) if it already has that crew."""
        _require_text(crew, "crew")
        self._require("assign", ("open", "assigned"))
        if self.status == "assigned" and self.assigned_crew == crew:
            return False
        previous = self.assigned_crew
        self.status, self.assigned_crew, self.updated_at = "assigned", crew, now
        self._record(now, actor, "assigned", {"crew": crew, "previous_crew": previous})
        return True

    def start(self, crew: str, now: datetime) -> None:
        """A crew starts its assigned ticket, or takes an open, unassigned one and starts it."""
        _require_text(crew, "crew")
        self._own(crew, "start")
        self._require("start", ("open", "assigned"))
        took = self.assigned_crew is None
        self.status, self.assigned_crew, self.updated_at = "in_progress", crew, now
        self._record(now, crew, "started", {"crew": crew, "self_assigned": took})

    def resolve(self, crew: str, resolution: dict, now: datetime) -> None:
        """The crew's repair is done; `no_fault_found` closes at once (a false alarm), else verification starts."""
        _require_text(crew, "crew")
        checked = _resolution(resolution, crew, now)
        self._own(crew, "resolve")
        self._require("resolve", ("in_progress",))
        self.status, self.resolution, self.resolved_at, self.updated_at = "resolved", checked, now, now
        self._record(now, crew, "resolved", {"resolution": checked})
        if checked["outcome"] == "no_fault_found":
            self.close(now, crew, "no_fault_found")

    def cancel(self, actor: str, reason: str, now: datetime) -> None:
        """Ops calls off an unrepaired ticket."""
        _require_text(actor, "actor")
        _require_text(reason, "reason")
        self._require("cancel", WORK_STATES)
        self._cancel(actor, reason, now, {})

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _cancel(self, actor: str, reason: str, now: datetime, extra: dict) -> None:
        previous = (self.status, self.assigned_crew)
        self.status, self.updated_at = "cancelled", now
        self._record(now, actor, "cancelled", {"reason": reason, "previous_status": previous[0],
                                               "previous_crew": previous[1], **extra})

    def _require(self, action: str, allowed: tuple[str, ...]) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(self.status, action)

    def _own(self, crew: str, action: str) -> None:
        if self.assigned_crew is not None and self.assigned_crew != crew:
            raise NotYourTicket(crew, self.assigned_crew, action)

    def _evidence_detail(self) -> dict:
        return {"severity": self.severity.value, "confidence": self.confidence, "evidence": self.evidence,
                "predicted_failure_at": _iso(self.predicted_failure_at), "due_by": _iso(self.due_by)}

    def _record(self, at: datetime, actor: str, kind: str, detail: dict) -> None:
        self.pending_events.append(TicketEvent(at, actor, kind, detail))


def _require_text(value, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidTicketInput(f"{name} must be a non-empty string")


def _resolution(resolution, crew: str, now: datetime) -> dict:
    """A checked copy of a crew's resolution with `by` and `at` filled in."""
    if not isinstance(resolution, dict):
        raise InvalidTicketInput("resolution must be an object")
    outcome = resolution.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidTicketInput(f"resolution outcome must be one of {', '.join(OUTCOMES)}")
    notes = resolution.get("notes", "")
    parts = resolution.get("parts", [])
    if not isinstance(notes, str):
        raise InvalidTicketInput("resolution notes must be a string")
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise InvalidTicketInput("resolution parts must be a list of strings")
    return {"outcome": outcome, "notes": notes, "parts": list(parts), "by": crew, "at": now.isoformat()}
