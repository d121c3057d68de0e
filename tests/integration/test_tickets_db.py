"""The one-live-ticket rule is held by the database, also under concurrent raisers."""
import threading
from datetime import datetime, timezone

import psycopg
import pytest

from detectors.base import Finding
from tickets.repository import raise_ticket


def finding(temp=70.0):
    return Finding("EB-9", "BATTERY_OVERTEMP", "battery_overtemp_limit", datetime.now(timezone.utc), 0.9,
                   {"temp_c": temp})


def test_eight_concurrent_raisers_make_one_live_ticket(stack, db):
    barrier = threading.Barrier(8)
    created, errors = [], []

    def raiser(i):
        try:
            with psycopg.connect(stack.database_url) as conn:
                barrier.wait()
                _, was_created = raise_ticket(conn, finding(70.0 + i), "north", datetime.now(timezone.utc))
                conn.commit()
                created.append(was_created)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=raiser, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(created) == [False] * 7 + [True]
    live = db.execute("SELECT count(*) FROM tickets WHERE vehicle_id = 'EB-9' AND status NOT IN ('closed','cancelled')")
    assert live.fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM ticket_events WHERE kind = 'opened'").fetchone()[0] == 1


def test_database_refuses_a_second_live_ticket_even_without_the_upsert(stack, db):
    with db.transaction():
        raise_ticket(db, finding(), "north", datetime.now(timezone.utc))
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("INSERT INTO tickets (vehicle_id, component, fault_code, severity, status, opened_at, updated_at, "
                   "due_by, detector) VALUES ('EB-9', 'battery', 'BATTERY_OVERTEMP', 'critical', 'assigned', now(), "
                   "now(), now(), 'manual')")


def test_a_closed_ticket_does_not_block_a_new_one(stack, db):
    with db.transaction():
        first, _ = raise_ticket(db, finding(), "north", datetime.now(timezone.utc))
    db.execute("UPDATE tickets SET status = 'closed' WHERE id = %s", (first["id"],))
    with db.transaction():
        second, created = raise_ticket(db, finding(), "north", datetime.now(timezone.utc))
    assert created and second["id"] != first["id"]
