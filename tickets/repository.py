"""Tickets in the database: one live ticket per (vehicle, fault) held by a partial unique index."""
from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from detectors.base import Finding

from .rules import due_by

TICKET_COLUMNS = (
    "id, vehicle_id, component, fault_code, severity, status, opened_at, updated_at, due_by, "
    "predicted_failure_at, escalated, reopen_count, detector, confidence, evidence, assigned_crew, zone, resolution"
)


def raise_ticket(conn: psycopg.Connection, finding: Finding, zone: str | None, now: datetime) -> tuple[dict, bool]:
    """Open a ticket for the finding, or add the evidence to the live one; returns (ticket, created)."""
    severity = finding.effective_severity
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            INSERT INTO tickets (vehicle_id, component, fault_code, severity, status, opened_at, updated_at, due_by,
                                 predicted_failure_at, detector, confidence, evidence, zone, detected_from)
            VALUES (%(vehicle_id)s, %(component)s, %(fault_code)s, %(severity)s, 'open', %(now)s, %(now)s, %(due_by)s,
                    %(predicted)s, %(detector)s, %(confidence)s, %(evidence)s, %(zone)s, %(observed_at)s)
            ON CONFLICT (vehicle_id, fault_code) WHERE status NOT IN ('closed', 'cancelled')
            DO UPDATE SET evidence = EXCLUDED.evidence, confidence = EXCLUDED.confidence,
                          predicted_failure_at = COALESCE(EXCLUDED.predicted_failure_at, tickets.predicted_failure_at),
                          updated_at = EXCLUDED.updated_at
            RETURNING {TICKET_COLUMNS}, (xmax = 0) AS created
            """,
            {
                "vehicle_id": finding.vehicle_id, "component": finding.component, "fault_code": finding.fault_code,
                "severity": severity.value, "now": now, "due_by": due_by(severity, now, finding.predicted_failure_at),
                "predicted": finding.predicted_failure_at, "detector": finding.detector,
                "confidence": finding.confidence, "evidence": Jsonb(finding.evidence), "zone": zone,
                "observed_at": finding.observed_at,
            },
        )
        row = cur.fetchone()
    created = row.pop("created")
    if created:
        record_event(conn, row["id"], finding.detector, "opened",
                     {"severity": row["severity"], "evidence": finding.evidence}, now)
    return row, created


def record_event(conn: psycopg.Connection, ticket_id: int, actor: str, kind: str, detail: dict, at: datetime) -> None:
    conn.execute("INSERT INTO ticket_events (ticket_id, at, actor, kind, detail) VALUES (%s, %s, %s, %s, %s)",
                 (ticket_id, at, actor, kind, Jsonb(detail)))


def ticket_json(row: dict) -> dict:
    """A ticket row as CONTRACT section 4's JSON (times as RFC 3339)."""
    out = {}
    for key in TICKET_COLUMNS.split(", "):
        value = row.get(key)
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out
