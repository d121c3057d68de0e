"""The ticket service over the in-memory repository: one live ticket, reopen, tick, flapping, errors, history."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from detectors.base import Clearance, Finding
from tickets.memory import InMemoryTicketRepository
from tickets.service import (InvalidTicketInput, NotYourTicket, TicketNotFound, TicketService,
                             TransitionNotAllowed)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
DAY = timedelta(days=1)


def finding(at=T0, code="TIRE_SLOW_LEAK", vehicle="EB-7", predicted=None, **evidence):
    return Finding(vehicle, code, "slow_leak_trend", at, 0.8, evidence or {"pressure_kpa": 180.0},
                   predicted_failure_at=predicted)


def clearance(at, code="TIRE_SLOW_LEAK"):
    return Clearance("EB-7", code, "slow_leak_trend", at)


@pytest.fixture
def svc():
    return TicketService(InMemoryTicketRepository())


def event_kinds(svc, ticket_id):
    return [e["kind"] for e in svc.events(ticket_id)]


def test_one_live_ticket_per_vehicle_and_fault(svc):
    first = svc.apply_finding(finding(), "north", T0)
    second = svc.apply_finding(finding(at=T0 + H, pressure_kpa=170.0), "north", T0 + H)
    other = svc.apply_finding(finding(vehicle="EB-8"), "north", T0)
    assert (first.kind, first.publish) == ("opened", True)
    assert (second.kind, second.publish) == ("updated", False)
    assert second.ticket["id"] == first.ticket["id"] != other.ticket["id"]
    assert second.ticket["evidence"] == {"pressure_kpa": 170.0}
    assert len(svc.repo.tickets()) == 2


def test_eight_concurrent_raisers_make_one_ticket_and_one_opened_event(svc):
    barrier = threading.Barrier(8)
    changes = []

    def raiser(i):
        barrier.wait()
        changes.append(svc.apply_finding(finding(pressure_kpa=180.0 + i), "north", T0))

    threads = [threading.Thread(target=raiser, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(c.kind for c in changes) == ["opened"] + ["updated"] * 7
    assert len(svc.repo.tickets()) == 1 and event_kinds(svc, 1) == ["opened"]


def test_predictive_due_by_and_its_update(svc):
    opened = svc.apply_finding(finding(predicted=T0 + 10 * DAY), "north", T0)
    assert opened.ticket["due_by"] == (T0 + 24 * H).isoformat()  # high: 24 h respond-by is sooner
    updated = svc.apply_finding(finding(at=T0 + H, predicted=T0 + 30 * H), "north", T0 + H)
    assert updated.ticket["due_by"] == (T0 + 6 * H).isoformat()
    assert event_kinds(svc, 1) == ["opened", "updated"]


def test_hovering_signal_makes_one_ticket_and_few_events(svc):
    # A finding and a clearance alternate every 5 minutes for 6 hours: a signal around its threshold.
    for step in range(72):
        at = T0 + step * timedelta(minutes=5)
        if step % 2 == 0:
            change = svc.apply_finding(finding(at=at, pressure_kpa=180.0 + step % 3), "north", at)
            assert change.kind == ("opened" if step == 0 else "updated")
        else:
            assert svc.apply_clearance(clearance(at), at) is None
    [ticket] = svc.repo.tickets()
    assert ticket["status"] == "open"
    kinds = event_kinds(svc, ticket["id"])
    assert kinds[0] == "opened" and set(kinds[1:]) == {"updated"} and len(kinds) <= 7


def test_cancel_after_the_condition_stays_clear_then_a_new_ticket(svc):
    svc.apply_finding(finding(), "north", T0)
    assert svc.apply_clearance(clearance(T0 + H), T0 + H) is None
    assert svc.apply_clearance(clearance(T0 + 1.5 * H), T0 + 1.5 * H) is None
    cancelled = svc.apply_clearance(clearance(T0 + 2 * H), T0 + 2 * H)
    assert (cancelled.kind, cancelled.publish, cancelled.ticket["status"]) == ("cancelled", False, "cancelled")
    assert svc.apply_clearance(clearance(T0 + 3 * H), T0 + 3 * H) is None
    again = svc.apply_finding(finding(at=T0 + 5 * H), "north", T0 + 5 * H)
    assert again.kind == "opened" and again.ticket["id"] == 2
    assert event_kinds(svc, 1) == ["opened", "cancelled"]


def test_clearance_leaves_an_assigned_ticket_alone(svc):
    svc.apply_finding(finding(), "north", T0)
    svc.assign(1, "crew-a", "ops-1", T0)
    for hours in (1, 5, 48):
        assert svc.apply_clearance(clearance(T0 + hours * H), T0 + hours * H) is None
    assert svc.get(1)["status"] == "assigned"


def test_tick_escalates_once_and_publishes(svc):
    svc.apply_finding(finding(code="TIRE_UNDERINFLATED"), "north", T0)  # medium: 72 h
    assert svc.tick(T0 + 72 * H) == []
    [change] = svc.tick(T0 + 73 * H)
    assert (change.kind, change.publish) == ("escalated", True)
    assert change.ticket["severity"] == "high" and change.ticket["escalated"] is True
    assert svc.tick(T0 + 100 * H) == []
    assert event_kinds(svc, 1) == ["opened", "escalated"]


def test_workflow_then_close_after_the_verification_window(svc):
    svc.apply_finding(finding(), "north", T0)
    assert svc.assign(1, "crew-a", "ops-1", T0 + H)["status"] == "assigned"
    assert svc.start(1, "crew-a", T0 + 2 * H)["status"] == "in_progress"
    resolved = svc.resolve(1, "crew-a", {"outcome": "repaired", "notes": "valve", "parts": ["valve"]}, T0 + 3 * H)
    assert resolved["status"] == "resolved" and resolved["resolution"]["by"] == "crew-a"
    assert svc.tick(T0 + 3 * H + 7 * DAY - H) == []
    [closed] = svc.tick(T0 + 3 * H + 7 * DAY)
    assert (closed.kind, closed.publish, closed.ticket["status"]) == ("closed", False, "closed")
    events = svc.events(1)
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("opened", "slow_leak_trend"), ("assigned", "ops-1"), ("started", "crew-a"), ("resolved", "crew-a"),
        ("closed", "system")]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_fault_returning_inside_the_window_reopens_the_same_ticket(svc):
    svc.apply_finding(finding(), "north", T0)
    svc.start(1, "crew-a", T0 + H)
    svc.resolve(1, "crew-a", {"outcome": "repaired"}, T0 + 2 * H)
    late_flush = svc.apply_finding(finding(at=T0 + 1.5 * H), "north", T0 + 3 * H)  # read before the repair
    assert late_flush.kind == "updated" and late_flush.ticket["status"] == "resolved"
    change = svc.apply_finding(finding(at=T0 + 3 * DAY), "north", T0 + 3 * DAY)
    assert (change.kind, change.publish) == ("reopened", True)
    assert change.ticket["id"] == 1 and change.ticket["reopen_count"] == 1 and change.ticket["status"] == "open"
    assert change.ticket["assigned_crew"] is None and change.ticket["resolution"] is None
    assert len(svc.repo.tickets()) == 1
    assert event_kinds(svc, 1) == ["opened", "started", "resolved", "reopened"]


def test_fault_after_the_window_is_a_new_ticket_even_before_tick_closed_the_old(svc):
    svc.apply_finding(finding(), "north", T0)
    svc.start(1, "crew-a", T0)
    svc.resolve(1, "crew-a", {"outcome": "repaired"}, T0)
    change = svc.apply_finding(finding(at=T0 + 8 * DAY), "north", T0 + 8 * DAY)
    assert change.kind == "opened" and change.ticket["id"] == 2
    assert svc.get(1)["status"] == "closed" and event_kinds(svc, 1)[-1] == "closed"


def test_no_fault_found_closes_at_once_and_a_new_finding_opens_a_new_ticket(svc):
    svc.apply_finding(finding(), "north", T0)
    svc.start(1, "crew-a", T0)
    body = svc.resolve(1, "crew-a", {"outcome": "no_fault_found"}, T0 + H)
    assert body["status"] == "closed" and body["resolution"]["outcome"] == "no_fault_found"
    assert svc.apply_finding(finding(at=T0 + 2 * H), "north", T0 + 2 * H).ticket["id"] == 2


def test_errors_map_to_their_classes_and_change_nothing(svc):
    with pytest.raises(TicketNotFound):
        svc.start(99, "crew-a", T0)
    with pytest.raises(TicketNotFound):
        svc.events(99)
    svc.apply_finding(finding(), "north", T0)
    with pytest.raises(TransitionNotAllowed, match="cannot resolve a ticket that is open"):
        svc.resolve(1, "crew-a", {"outcome": "repaired"}, T0)
    svc.assign(1, "crew-a", "ops-1", T0)
    with pytest.raises(NotYourTicket):
        svc.start(1, "crew-b", T0)
    svc.start(1, "crew-a", T0)
    with pytest.raises(InvalidTicketInput):
        svc.resolve(1, "crew-a", {"outcome": "fixed it"}, T0)
    assert svc.get(1)["status"] == "in_progress"
    assert event_kinds(svc, 1) == ["opened", "assigned", "started"]


def test_ops_cancel(svc):
    svc.apply_finding(finding(), "north", T0)
    svc.start(1, "crew-a", T0)
    body = svc.cancel(1, "ops-1", "vehicle retired", T0 + H)
    assert body["status"] == "cancelled"
    assert svc.events(1)[-1]["detail"] == {"reason": "vehicle retired", "previous_status": "in_progress",
                                           "previous_crew": "crew-a"}


def test_memory_repository_undoes_a_failed_transaction():
    repo = InMemoryTicketRepository()
    svc = TicketService(repo)
    svc.apply_finding(finding(), "north", T0)
    with pytest.raises(RuntimeError):
        with repo.transaction():
            ticket = repo.get(1)
            ticket.start("crew-a", T0)
            repo.save(ticket)
            raise RuntimeError("boom")
    assert svc.get(1)["status"] == "open" and event_kinds(svc, 1) == ["opened"]
