"""The detector runner: feeds newly stored readings to the detectors and raises tickets from their findings."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson
import psycopg

from fleet_contract import mqtt as fleet_mqtt
from fleet_contract import topics
from fleet_contract.settings import MqttTarget
from tickets.service import apply_clearance, apply_finding, tick

from . import feed
from .base import Clearance
from .metrics import DETECTION_LATENCY, FINDINGS, TICKETS_OPENED
from .rules import default_rules

log = logging.getLogger("fleet.detect")
CURSOR = "runner"
# Rows are stamped with their transaction's start; a batch commits well within this, so no row is skipped.
COMMIT_LAG = timedelta(seconds=1.5)
MAX_WINDOW = timedelta(minutes=10)
TICK_S = 30.0  # how often late tickets are escalated and verified ones closed


@dataclass
class DetectConfig:
    database_url: str
    mqtt: MqttTarget | None = None
    poll_s: float = 0.5


class DetectorRunner:
    def __init__(self, config: DetectConfig, detectors: list | None = None):
        self.config = config
        self.detectors = detectors if detectors is not None else default_rules()
        self.stop_event = threading.Event()
        self.client = None
        self.tickets_opened = 0
        self._next_tick = 0.0

    def _publish(self, ticket: dict) -> None:
        if self.client is not None:
            self.client.publish(topics.ticket_topic(ticket["zone"]), orjson.dumps(ticket), qos=1)

    def step(self, conn: psycopg.Connection) -> int:
        """One poll: readings since the cursor, findings, tickets. Returns readings seen."""
        now = conn.execute("SELECT now()").fetchone()[0]
        row = conn.execute("SELECT received_to FROM detector_cursors WHERE name = %s", (CURSOR,)).fetchone()
        after = row[0] if row else datetime(2000, 1, 1, tzinfo=timezone.utc)
        if row is None:
            first = conn.execute("SELECT min(received_at) FROM battery_readings").fetchone()[0]
            after = (first - timedelta(microseconds=1)) if first else now - COMMIT_LAG
        upto = min(now - COMMIT_LAG, after + MAX_WINDOW)
        if upto <= after:
            conn.rollback()
            return 0
        readings = feed.new_readings(conn, after, upto)
        infos = feed.vehicles(conn, sorted({r.vehicle_id for r in readings}))
        changes = []
        for reading in readings:
            vehicle = infos[reading.vehicle_id]
            for det in self.detectors:
                if det.component not in (reading.component, "any"):
                    continue
                for finding in det.observe(reading, vehicle):
                    if isinstance(finding, Clearance):
                        cleared = apply_clearance(conn, finding, datetime.now(timezone.utc))
                        changes += [(cleared, None)] if cleared else []
                        continue
                    finding.received_at = reading.received_at
                    FINDINGS.labels(finding.fault_code).inc()
                    change = apply_finding(conn, finding, vehicle.zone, datetime.now(timezone.utc))
                    changes.append((change, reading.received_at))
        if time.monotonic() >= self._next_tick:
            self._next_tick = time.monotonic() + TICK_S
            changes += [(change, None) for change in tick(conn, datetime.now(timezone.utc))]
        conn.execute(
            "INSERT INTO detector_cursors (name, received_to) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET received_to = EXCLUDED.received_to", (CURSOR, upto))
        conn.commit()
        for change, received_at in changes:
            body = change.ticket
            if change.kind == "opened":
                self.tickets_opened += 1
                TICKETS_OPENED.labels(body["fault_code"], body["severity"]).inc()
                if received_at is not None:
                    latency = datetime.fromisoformat(body["opened_at"]) - received_at
                    DETECTION_LATENCY.observe(max(0.0, latency.total_seconds()))
            if change.publish:
                log.info(f"ticket {change.kind}",
                         extra={k: body[k] for k in ("id", "vehicle_id", "fault_code", "severity")})
                self._publish(body)
        return len(readings)

    def run(self) -> None:
        if self.config.mqtt is not None:
            self.client = fleet_mqtt.make_client(self.config.mqtt, client_id="")
            fleet_mqtt.connect(self.client, self.config.mqtt)
            self.client.loop_start()
        conn = None
        delay = 0.5
        log.info("detector runner started", extra={"detectors": [d.name for d in self.detectors]})
        try:
            while not self.stop_event.is_set():
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(self.config.database_url, connect_timeout=5)
                    seen = self.step(conn)
                    delay = 0.5
                    if not seen:
                        self.stop_event.wait(self.config.poll_s)
                except psycopg.OperationalError as exc:
                    log.warning("database unavailable; retrying", extra={"error": str(exc)[:200]})
                    if conn is not None:
                        conn.close()
                    conn = None
                    self.stop_event.wait(delay)
                    delay = min(delay * 2, 10)
        finally:
            if conn is not None:
                conn.close()
            if self.client is not None:
                self.client.disconnect()
                self.client.loop_stop()
            log.info("detector runner stopped", extra={"tickets_opened": self.tickets_opened})

    def stop(self) -> None:
        self.stop_event.set()
