"""The ticket aggregate's rules, with no database: transitions, ownership, due_by, events."""
from datetime import datetime, timedelta, timezone

import pytest

from detectors.base import Clearance, Finding
from fleet_contract.codes import Severity
from tickets.domain import Ticket, ticket_json
from tickets.errors import InvalidTicketInput, NotYourTicket, TransitionNotAllowed
from tickets.rules import TicketPolicy, prediction_moved

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def finding(code="BRAKE_PAD_WEAR", at=T0, predicted=None, severity=None, **evidence):
    return Finding("EB-1", code, "pad_wear_trend", at, 0.9, evidence or {"pad_front_mm": 2.1},
                   predicted_failure_at=predicted, severity=severity)


def kinds(ticket):
    return [e.kind for e in ticket.pending_events]


def opened(**kw):
    return Ticket.open(finding(**kw), "north", T0)


def test_open_sets_respond_by_and_records_who_when_what():
    t = opened(code="BATTERY_OVERTEMP")
    assert (t.status, t.severity, t.due_by, t.zone) == ("open", Severity.critical, T0 + 2 * H, "north")
    [event] = t.pending_events
    assert (event.kind, event.actor, event.at) == ("opened", "pad_wear_trend", T0)
    assert event.detail["evidence"] == {"pad_front_mm": 2.1} and event.detail["severity"] == "critical"


def test_predictive_open_is_due_a_day_before_the_predicted_failure():
    t = opened(predicted=T0 + timedelta(days=2))
    assert t.due_by == T0 + timedelta(days=1)


def test_new_prediction_moves_due_by_sooner_never_later():
    t = opened(predicted=T0 + timedelta(days=30))
    assert t.due_by == T0 + 72 * H
    t.update_evidence(finding(predicted=T0 + timedelta(days=2)), T0 + H)
    assert t.due_by == T0 + timedelta(days=1) and t.predicted_failure_at == T0 + timedelta(days=2)
    t.update_evidence(finding(predicted=T0 + timedelta(days=20)), T0 + 2 * H)
    assert t.due_by == T0 + timedelta(days=1) and t.predicted_failure_at == T0 + timedelta(days=20)


def test_higher_severity_evidence_raises_severity_and_restarts_its_shorter_respond_by_from_now():
    t = opened()
    t.update_evidence(finding(severity=Severity.critical), T0 + 10 * H)
    assert t.severity is Severity.critical and t.due_by == T0 + 12 * H
    t.update_evidence(finding(severity=Severity.low), T0 + 11 * H)
    assert t.severity is Severity.critical


def test_evidence_update_replaces_evidence_and_confidence_but_events_are_throttled():
    t = opened()
    t.pending_events.clear()
    for minute in range(1, 60):
        assert t.update_evidence(finding(pad_front_mm=2.0), T0 + timedelta(minutes=minute)) is False
    assert t.evidence == {"pad_front_mm": 2.0} and t.updated_at == T0 + timedelta(minutes=59)
    assert kinds(t) == []
    assert t.update_evidence(finding(pad_front_mm=1.9), T0 + H) is True
    assert kinds(t) == ["updated"] and t.pending_events[0].detail["material"] is False


def test_a_material_change_is_an_event_at_once():
    t = opened(predicted=T0 + timedelta(days=30))
    t.pending_events.clear()
    assert t.update_evidence(finding(predicted=T0 + timedelta(days=5)), T0 + timedelta(minutes=1)) is True
    assert t.pending_events[0].detail["material"] is True
    # A jitter of a few hours in a forecast weeks away is not material.
    assert t.update_evidence(finding(predicted=T0 + timedelta(days=5, hours=3)), T0 + timedelta(minutes=2)) is False


def test_prediction_moved_thresholds():
    assert prediction_moved(None, T0, T0) and prediction_moved(T0, None, T0)
    assert not prediction_moved(None, None, T0)
    assert not prediction_moved(T0 + 2 * H, T0 + 13 * H, T0)
    assert prediction_moved(T0 + 2 * H, T0 + 14 * H, T0)
    # Far off, the threshold is a tenth of the time left: 100 days out, 9 days is jitter, 11 is not.
    far = T0 + timedelta(days=100)
    assert not prediction_moved(far, far + timedelta(days=9), T0)
    assert prediction_moved(far, far + timedelta(days=11), T0)


def test_escalation_once_severity_up_one_level():
    t = opened()
    assert not t.is_late(T0 + 72 * H)
    with pytest.raises(TransitionNotAllowed, match="not past due_by"):
        t.escalate(T0 + 72 * H)
    t.escalate(T0 + 73 * H)
    assert t.severity is Severity.high and t.escalated and kinds(t)[-1] == "escalated"
    assert t.pending_events[-1].detail == {"from": "medium", "to": "high", "due_by": t.due_by.isoformat()}
    assert not t.is_late(T0 + 200 * H)
    with pytest.raises(TransitionNotAllowed, match="already escalated"):
        t.escalate(T0 + 200 * H)


def test_critical_escalates_to_critical_and_resolved_is_never_escalated():
    t = opened(code="TIRE_FLAT")
    t.escalate(T0 + 3 * H)
    assert t.severity is Severity.critical and t.escalated
    r = opened()
    r.start("crew-a", T0)
    r.resolve("crew-a", {"outcome": "repaired"}, T0 + H)
    assert not r.is_late(T0 + 100 * H)
    with pytest.raises(TransitionNotAllowed, match="cannot escalate a ticket that is resolved"):
        r.escalate(T0 + 100 * H)


def clear(at):
    return Clearance("EB-1", "BRAKE_PAD_WEAR", "pad_wear_trend", at)


def test_clearance_cancels_an_open_unassigned_ticket_only_after_the_hold_off():
    t = opened()
    assert t.note_clear(clear(T0 + H), T0 + H) is False and t.clear_since == T0 + H
    assert t.note_clear(clear(T0 + 1.9 * H), T0 + 1.9 * H) is False and t.status == "open"
    assert t.note_clear(clear(T0 + 2 * H), T0 + 2 * H) is True
    assert t.status == "cancelled" and kinds(t)[-1] == "cancelled"
    assert t.pending_events[-1].detail["reason"] == "condition cleared"


def test_new_evidence_restarts_the_hold_off():
    t = opened()
    t.note_clear(clear(T0 + H), T0 + H)
    t.update_evidence(finding(), T0 + 1.5 * H)
    assert t.clear_since is None
    assert t.note_clear(clear(T0 + 2 * H), T0 + 2 * H) is False
    assert t.note_clear(clear(T0 + 2.9 * H), T0 + 2.9 * H) is False and t.status == "open"


def test_clearance_never_cancels_an_assigned_or_started_ticket():
    t = opened()
    t.assign("crew-a", "ops-1", T0)
    assert t.note_clear(clear(T0), T0) is False
    assert t.note_clear(clear(T0 + 10 * H), T0 + 10 * H) is False and t.status == "assigned"
    t.start("crew-a", T0 + 11 * H)
    assert t.note_clear(clear(T0 + 20 * H), T0 + 20 * H) is False and t.status == "in_progress"


def test_assign_start_resolve_and_the_event_trail():
    t = opened()
    t.assign("crew-a", "ops-1", T0 + H)
    assert t.assign("crew-a", "ops-1", T0 + H) is False  # same crew again: no change, no event
    t.assign("crew-b", "ops-1", T0 + 2 * H)
    t.start("crew-b", T0 + 3 * H)
    t.resolve("crew-b", {"outcome": "replaced", "notes": "new pads", "parts": ["pad-set-front"]}, T0 + 4 * H)
    assert kinds(t) == ["opened", "assigned", "assigned", "started", "resolved"]
    assert [e.actor for e in t.pending_events] == ["pad_wear_trend", "ops-1", "ops-1", "crew-b", "crew-b"]
    assert t.pending_events[2].detail == {"crew": "crew-b", "previous_crew": "crew-a"}
    assert t.status == "resolved" and t.resolved_at == T0 + 4 * H
    assert t.resolution == {"outcome": "replaced", "notes": "new pads", "parts": ["pad-set-front"],
                            "by": "crew-b", "at": (T0 + 4 * H).isoformat()}


def test_a_crew_may_take_an_open_unassigned_ticket_by_starting_it():
    t = opened()
    t.start("crew-c", T0 + H)
    assert (t.status, t.assigned_crew) == ("in_progress", "crew-c")
    assert t.pending_events[-1].detail == {"crew": "crew-c", "self_assigned": True}


def test_another_crews_ticket_is_not_yours():
    t = opened()
    t.assign("crew-a", "ops-1", T0)
    with pytest.raises(NotYourTicket, match="crew-b"):
        t.start("crew-b", T0)
    t.start("crew-a", T0)
    with pytest.raises(NotYourTicket):
        t.resolve("crew-b", {"outcome": "repaired"}, T0)
    assert t.status == "in_progress"


@pytest.mark.parametrize("setup, action, status", [
    ([], lambda t: t.resolve("crew-a", {"outcome": "repaired"}, T0), "open"),
    ([], lambda t: t.close(T0), "open"),
    ([], lambda t: t.reopen(finding(), T0), "open"),
    (["start"], lambda t: t.assign("crew-b", "ops", T0), "in_progress"),
    (["start"], lambda t: t.start("crew-a", T0), "in_progress"),
    (["start", "resolve"], lambda t: t.cancel("ops", "dup", T0), "resolved"),
    (["start", "resolve"], lambda t: t.update_evidence(finding(), T0), "resolved"),
    (["start", "nff"], lambda t: t.start("crew-a", T0), "closed"),
    (["cancel"], lambda t: t.assign("crew-a", "ops", T0), "cancelled"),
    (["cancel"], lambda t: t.cancel("ops", "again", T0), "cancelled"),
])
def test_illegal_transitions_name_the_status_and_the_action(setup, action, status):
    t = opened()
    steps = {"start": lambda: t.start("crew-a", T0),
             "resolve": lambda: t.resolve("crew-a", {"outcome": "repaired"}, T0),
             "nff": lambda: t.resolve("crew-a", {"outcome": "no_fault_found"}, T0),
             "cancel": lambda: t.cancel("ops", "duplicate", T0)}
    for step in setup:
        steps[step]()
    before = len(t.pending_events)
    with pytest.raises(TransitionNotAllowed) as err:
        action(t)
    assert err.value.status == status and f"that is {status}" in str(err.value)
    assert len(t.pending_events) == before


def test_no_fault_found_closes_at_once():
    t = opened()
    t.start("crew-a", T0)
    t.resolve("crew-a", {"outcome": "no_fault_found", "notes": "pads fine"}, T0 + H)
    assert t.status == "closed" and t.closed_at == T0 + H
    assert kinds(t)[-2:] == ["resolved", "closed"]
    assert t.pending_events[-1].detail == {"reason": "no_fault_found"}


def test_verification_window_then_close():
    t = opened()
    t.start("crew-a", T0)
    t.resolve("crew-a", {"outcome": "repaired"}, T0)
    policy = TicketPolicy()
    assert not t.verification_over(T0 + timedelta(days=7) - H, policy)
    assert t.verification_over(T0 + timedelta(days=7), policy)
    t.close(T0 + timedelta(days=7))
    assert t.status == "closed" and not t.is_live and kinds(t)[-1] == "closed"


def test_reopen_keeps_the_ticket_clears_the_crew_and_counts():
    t = opened(code="BATTERY_CELL_IMBALANCE")
    t.start("crew-a", T0)
    t.resolve("crew-a", {"outcome": "repaired"}, T0 + H)
    t.reopen(finding(code="BATTERY_CELL_IMBALANCE", at=T0 + 30 * H), T0 + 30 * H)
    assert (t.status, t.reopen_count, t.assigned_crew, t.resolution, t.resolved_at) == ("open", 1, None, None, None)
    assert t.due_by == T0 + 30 * H + timedelta(hours=24)  # the respond-by clock restarts at the reopen
    event = t.pending_events[-1]
    assert event.kind == "reopened" and event.detail["previous_crew"] == "crew-a"
    assert event.detail["previous_resolution"]["outcome"] == "repaired" and event.detail["reopen_count"] == 1


@pytest.mark.parametrize("resolution, message", [
    ({"outcome": "fixed"}, "outcome"),
    ({}, "outcome"),
    ("repaired", "object"),
    ({"outcome": "repaired", "notes": 3}, "notes"),
    ({"outcome": "repaired", "parts": "pad"}, "parts"),
    ({"outcome": "repaired", "parts": [1]}, "parts"),
])
def test_a_bad_resolution_is_refused_and_changes_nothing(resolution, message):
    t = opened()
    t.start("crew-a", T0)
    with pytest.raises(InvalidTicketInput, match=message):
        t.resolve("crew-a", resolution, T0)
    assert t.status == "in_progress" and t.resolution is None


def test_empty_crew_or_reason_is_refused():
    t = opened()
    with pytest.raises(InvalidTicketInput):
        t.assign("  ", "ops", T0)
    with pytest.raises(InvalidTicketInput):
        t.cancel("ops", "", T0)
    assert t.status == "open"


def test_row_round_trip_and_contract_json():
    t = opened(predicted=T0 + timedelta(days=9))
    t.id = 7
    again = Ticket.from_row({**t.to_row(), "severity": "medium"})
    assert again.to_row() == t.to_row()
    body = ticket_json(t.to_row())
    assert list(body) == ["id", "vehicle_id", "component", "fault_code", "severity", "status", "opened_at",
                          "updated_at", "due_by", "predicted_failure_at", "escalated", "reopen_count", "detector",
                          "confidence", "evidence", "assigned_crew", "zone", "resolution"]
    assert body["severity"] == "medium" and body["opened_at"] == T0.isoformat() and body["component"] == "brakes"
