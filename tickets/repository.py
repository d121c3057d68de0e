"""Tickets in PostgreSQL: the repository adapter; a partial unique index holds one live ticket per (vehicle, fault)."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from detectors.base import Finding

from .domain import TICKET_COLUMNS, Ticket, ticket_json
from .ports import TicketRepository, event_dict

__all__ = ["TICKET_COLUMNS", "PostgresTicketRepository", "raise_ticket", "record_event", "ticket_json"]

STATE_COLUMNS = TICKET_COLUMNS + (
    ", detected_from, source_received_at, resolved_at, closed_at, last_evidence_event_at, clear_since")
_WRITABLE = [c for c in STATE_COLUMNS.split(", ") if c != "id"]
_LIVE = "status NOT IN ('closed', 'cancelled')"
_INSERT = (f"INSERT INTO tickets ({', '.join(_WRITABLE)}) VALUES ({', '.join(f'%({c})s' for c in _WRITABLE)}) "
           f"ON CONFLICT (vehicle_id, fault_code) WHERE {_LIVE} DO NOTHING RETURNING id")
_UPDATE = f"UPDATE tickets SET {', '.join(f'{c} = %({c})s' for c in _WRITABLE)} WHERE id = %(id)s"


def _params(ticket: Ticket) -> dict:
    row = ticket.to_row()
    row["severity"] = ticket.severity.value
    row["evidence"] = Jsonb(ticket.evidence)
    row["resolution"] = Jsonb(ticket.resolution) if ticket.resolution is not None else None
    return row


class PostgresTicketRepository(TicketRepository):
    """The port over one psycopg connection (autocommit or not); transactions nest as savepoints."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def transaction(self) -> AbstractContextManager:
        return self.conn.transaction()

    def _one(self, sql: str, args) -> Ticket | None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(sql, args).fetchone()
        return Ticket.from_row(row) if row else None

    def get(self, ticket_id: int, for_update: bool = True) -> Ticket | None:
        lock = " FOR UPDATE" if for_update else ""
        return self._one(f"SELECT {STATE_COLUMNS} FROM tickets WHERE id = %s{lock}", (ticket_id,))

    def get_live(self, vehicle_id: str, fault_code: str) -> Ticket | None:
        return self._one(f"SELECT {STATE_COLUMNS} FROM tickets WHERE vehicle_id = %s AND fault_code = %s "
                         f"AND {_LIVE} FOR UPDATE", (vehicle_id, fault_code))

    def add(self, ticket: Ticket) -> bool:
        # A conflicting insert waits for the other transaction; DO NOTHING if it committed a live ticket.
        row = self.conn.execute(_INSERT, _params(ticket)).fetchone()
        if row is None:
            return False
        ticket.id = row[0]
        self._write_events(ticket)
        return True

    def save(self, ticket: Ticket) -> None:
        self.conn.execute(_UPDATE, _params(ticket))
        self._write_events(ticket)

    def _write_events(self, ticket: Ticket) -> None:
        for event in ticket.pending_events:
            record_event(self.conn, ticket.id, event.actor, event.kind, event.detail, event.at)
        ticket.pending_events.clear()

    def due_for_tick(self, now: datetime, verification_window: timedelta, limit: int) -> list[Ticket]:
        # SKIP LOCKED: a ticket a crew is changing right now is picked up by the next tick.
        with self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {STATE_COLUMNS} FROM tickets "
                "WHERE (status IN ('open', 'assigned', 'in_progress') AND NOT escalated AND due_by < %(now)s) "
                "OR (status = 'resolved' AND resolved_at <= %(cutoff)s) "
                "ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED",
                {"now": now, "cutoff": now - verification_window, "limit": limit}).fetchall()
        return [Ticket.from_row(r) for r in rows]

    def events(self, ticket_id: int) -> list[dict]:
        rows = self.conn.execute("SELECT id, ticket_id, at, actor, kind, detail FROM ticket_events "
                                 "WHERE ticket_id = %s ORDER BY at, id", (ticket_id,)).fetchall()
        return [event_dict(*r) for r in rows]


def record_event(conn: psycopg.Connection, ticket_id: int, actor: str, kind: str, detail: dict, at: datetime) -> None:
    conn.execute("INSERT INTO ticket_events (ticket_id, at, actor, kind, detail) VALUES (%s, %s, %s, %s, %s)",
                 (ticket_id, at, actor, kind, Jsonb(detail)))


def raise_ticket(conn: psycopg.Connection, finding: Finding, zone: str | None, now: datetime) -> tuple[dict, bool]:
    """Older entry point, kept for its callers: `tickets.service.apply_finding` as (ticket JSON, opened)."""
    from .service import apply_finding  # the service imports this module

    change = apply_finding(conn, finding, zone, now)
    return change.ticket, change.kind == "opened"
