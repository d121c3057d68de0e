"""The ticket service against the real TimescaleDB: concurrency guards, reopen, tick, the crew workflow, history."""
import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from detectors.base import Clearance, Finding
from tickets import service
from tickets.domain import Ticket
from tickets.repository import PostgresTicketRepository

T0 = datetime.now(timezone.utc).replace(microsecond=0)
H = timedelta(hours=1)


def finding(at=T0, code="BRAKE_PAD_WEAR", vehicle="EB-5", **evidence):
    return Finding(vehicle, code, "pad_wear_trend", at, 0.9, evidence or {"pad_front_mm": 2.0},
                   predicted_failure_at=T0 + timedelta(days=20), received_at=at + timedelta(milliseconds=40))


def run_together(n, work):
    """Run work(i) in n threads released at once; returns (results, errors)."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def body(i):
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def count(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def test_eight_concurrent_raisers_of_one_fault_make_exactly_one_live_ticket(stack, db):
    def raiser(i):
        with psycopg.connect(stack.database_url) as conn:
            return service.apply_finding(conn, finding(pad_front_mm=2.0 - i / 100), "north", T0).kind

    kinds, errors = run_together(8, raiser)
    assert errors == []
    assert sorted(kinds) == ["opened"] + ["updated"] * 7
    assert count(db, "SELECT count(*) FROM tickets WHERE vehicle_id = 'EB-5' "
                     "AND status NOT IN ('closed', 'cancelled')") == 1
    assert count(db, "SELECT count(*) FROM ticket_events WHERE kind = 'opened'") == 1


def test_a_raiser_that_loses_the_insert_race_updates_the_winners_ticket(stack, db):
    # The winner has inserted but not committed: the loser's SELECT sees nothing, its INSERT must wait.
    with psycopg.connect(stack.database_url) as winner:
        assert PostgresTicketRepository(winner).add(Ticket.open(finding(), "north", T0))
        result = []

        def lose():
            with psycopg.connect(stack.database_url, autocommit=True) as conn:
                result.append(service.apply_finding(conn, finding(pad_front_mm=1.5), "north", T0 + H))

        loser = threading.Thread(target=lose)
        loser.start()
        loser.join(1.0)
        assert loser.is_alive()  # blocked on the uncommitted live ticket
        winner.commit()
    loser.join(10)
    [change] = result
    assert change.kind == "updated" and change.ticket["evidence"] == {"pad_front_mm": 1.5}
    assert count(db, "SELECT count(*) FROM tickets") == 1


def test_two_crews_starting_the_same_open_ticket_one_wins(stack, db):
    ticket_id = service.apply_finding(db, finding(), "north", T0).ticket["id"]

    def crew(i):
        with psycopg.connect(stack.database_url) as conn:
            return service.start(conn, ticket_id, f"crew-{i}", T0 + H)["assigned_crew"]

    winners, errors = run_together(2, crew)
    assert len(winners) == 1 and len(errors) == 1 and isinstance(errors[0], service.NotYourTicket)
    assert service.get(db, ticket_id)["assigned_crew"] == winners[0]
    assert count(db, "SELECT count(*) FROM ticket_events WHERE kind = 'started'") == 1


def test_workflow_assign_start_resolve_close_with_history(stack, db):
    opened = service.apply_finding(db, finding(), "north", T0)
    ticket_id = opened.ticket["id"]
    assert service.assign(db, ticket_id, "crew-a", "ops-1", T0 + H)["status"] == "assigned"
    assert service.start(db, ticket_id, "crew-a", T0 + 2 * H)["status"] == "in_progress"
    resolved = service.resolve(db, ticket_id, "crew-a", {"outcome": "replaced", "notes": "", "parts": ["pads"]},
                               T0 + 3 * H)
    assert resolved["resolution"] == {"outcome": "replaced", "notes": "", "parts": ["pads"], "by": "crew-a",
                                      "at": (T0 + 3 * H).isoformat()}
    assert service.tick(db, T0 + 3 * H + timedelta(days=6)) == []
    [closed] = service.tick(db, T0 + 3 * H + timedelta(days=7))
    assert closed.kind == "closed" and service.get(db, ticket_id)["status"] == "closed"
    history = service.events(db, ticket_id)
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("opened", "pad_wear_trend"), ("assigned", "ops-1"), ("started", "crew-a"), ("resolved", "crew-a"),
        ("closed", "system")]
    assert history[1]["detail"] == {"crew": "crew-a", "previous_crew": None}
    row = db.execute("SELECT detected_from, source_received_at, resolved_at, closed_at FROM tickets WHERE id = %s",
                     (ticket_id,)).fetchone()
    assert row == (T0, T0 + timedelta(milliseconds=40), T0 + 3 * H, T0 + 3 * H + timedelta(days=7))


def test_fault_returning_after_a_repair_reopens_the_same_ticket(stack, db):
    ticket_id = service.apply_finding(db, finding(), "north", T0).ticket["id"]
    service.start(db, ticket_id, "crew-a", T0)
    service.resolve(db, ticket_id, "crew-a", {"outcome": "repaired"}, T0 + H)
    change = service.apply_finding(db, finding(at=T0 + 2 * H), "north", T0 + 2 * H)
    assert (change.kind, change.publish) == ("reopened", True)
    assert change.ticket["id"] == ticket_id and change.ticket["reopen_count"] == 1
    assert change.ticket["status"] == "open" and change.ticket["assigned_crew"] is None
    assert count(db, "SELECT count(*) FROM tickets") == 1
    assert [e["kind"] for e in service.events(db, ticket_id)] == ["opened", "started", "resolved", "reopened"]


def test_tick_escalates_once_even_when_ticks_race(stack, db):
    ticket_id = service.apply_finding(db, finding(code="TIRE_UNDERINFLATED"), "north", T0).ticket["id"]

    def ticker(_):
        with psycopg.connect(stack.database_url) as conn:
            return service.tick(conn, T0 + 73 * H)

    results, errors = run_together(4, ticker)
    assert errors == []
    escalations = [c for changes in results for c in changes]
    assert [(c.kind, c.publish, c.ticket["severity"]) for c in escalations] == [("escalated", True, "high")]
    assert service.tick(db, T0 + 200 * H) == []
    assert service.get(db, ticket_id)["escalated"] is True
    assert count(db, "SELECT count(*) FROM ticket_events WHERE kind = 'escalated'") == 1


def test_clearance_hold_off_survives_across_transactions_then_cancels(stack, db):
    ticket_id = service.apply_finding(db, finding(), "north", T0).ticket["id"]
    clear = lambda at: Clearance("EB-5", "BRAKE_PAD_WEAR", "pad_wear_trend", at)  # noqa: E731
    assert service.apply_clearance(db, clear(T0 + H), T0 + H) is None
    assert count(db, "SELECT count(*) FROM tickets WHERE clear_since IS NOT NULL") == 1
    change = service.apply_clearance(db, clear(T0 + 2 * H), T0 + 2 * H)
    assert change.kind == "cancelled" and service.get(db, ticket_id)["status"] == "cancelled"
    assert service.apply_finding(db, finding(at=T0 + 3 * H), "north", T0 + 3 * H).kind == "opened"


def test_no_fault_found_and_refused_actions_leave_no_trace(stack, db):
    ticket_id = service.apply_finding(db, finding(), "north", T0).ticket["id"]
    with pytest.raises(service.TransitionNotAllowed, match="open"):
        service.resolve(db, ticket_id, "crew-a", {"outcome": "repaired"}, T0)
    with pytest.raises(service.TicketNotFound):
        service.assign(db, ticket_id + 1000, "crew-a", "ops", T0)
    service.start(db, ticket_id, "crew-a", T0)
    with pytest.raises(service.InvalidTicketInput):
        service.resolve(db, ticket_id, "crew-a", {"outcome": "bogus"}, T0)
    closed = service.resolve(db, ticket_id, "crew-a", {"outcome": "no_fault_found"}, T0 + H)
    assert closed["status"] == "closed"
    assert [e["kind"] for e in service.events(db, ticket_id)] == ["opened", "started", "resolved", "closed"]


def test_the_service_runs_inside_a_callers_open_transaction(stack, db):
    # The runner calls the service inside its own transaction: the ticket commits, or not, with the batch.
    with psycopg.connect(stack.database_url) as conn:
        conn.execute("SELECT 1")
        service.apply_finding(conn, finding(), "north", T0)
        conn.rollback()
    assert count(db, "SELECT count(*) FROM tickets") == 0
