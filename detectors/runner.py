"""The detector runner: feeds newly stored readings to the detectors and raises tickets from their findings.

Detectors keep per-vehicle history in memory; on its first step the runner warms them up from the
readings already processed (the last `warmup` of them, read an hour at a time, findings dropped:
their tickets were raised before the restart), so a restart loses no trend. Each step ends with the
detectors' clock (`tick`), fed the vehicles' presence changes first; the clock is the wall clock,
or with `clock="data"` the newest reading time seen (replays and `fleet eval --through-broker`,
whose readings carry simulated times).
"""
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
from .base import Clearance, Detector
from .metrics import DETECTION_LATENCY, FINDINGS, TICKETS_OPENED
from .registry import all_detectors, by_component

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
    warmup: timedelta = timedelta(days=2)  # history replayed into the detectors at start
    clock: str = "wall"  # "wall", or "data": the newest reading ts seen


class DetectorRunner:
    def __init__(self, config: DetectConfig, detectors: list | None = None):
        self.config = config
        self.detectors = detectors if detectors is not None else all_detectors()
        self.routes = by_component(self.detectors)
        self.clocked = [d for d in self.detectors if type(d).tick is not Detector.tick]
        self.stop_event = threading.Event()
        self.client = None
        self.tickets_opened = 0
        self._next_tick = 0.0
        self._warm = False
        self._data_now: datetime | None = None
        self._presence_since = datetime(2000, 1, 1, tzinfo=timezone.utc)

    def warm_up(self, conn: psycopg.Connection, upto: datetime, now: datetime) -> int:
        """Replay the readings already processed (received up to the cursor) of the last `warmup`."""
        seen = 0
        for readings in feed.history(conn, now - self.config.warmup, upto):
            infos = feed.vehicles(conn, sorted({r.vehicle_id for r in readings}))
            for reading in readings:
                for det in self.routes[reading.component]:
                    det.observe(reading, infos[reading.vehicle_id])  # findings dropped: raised before
            seen += len(readings)
        conn.rollback()
        log.info("detectors warmed up", extra={"readings": seen, "since": (now - self.config.warmup).isoformat()})
        return seen

    def _clock(self, conn: psycopg.Connection, db_now: datetime) -> list:
        """Presence changes into the detectors, then their clock; the findings that time alone makes."""
        now = db_now if self.config.clock == "wall" else self._data_now
        if now is None or not self.clocked:
            return []
        rows = conn.execute("SELECT vehicle_id, presence, presence_at FROM vehicles WHERE presence_at > %s "
                            "ORDER BY presence_at", (self._presence_since,)).fetchall()
        for vid, presence, at in rows:
            for det in self.clocked:
                if hasattr(det, "presence"):  # stamped when stored: on the data clock, never later than now
                    det.presence(vid, presence == "online", min(at, now))
            self._presence_since = at
        out = []
        for det in self.clocked:
            out += det.tick(now)
        return out

    def _publish(self, ticket: dict) -> None:
        if self.client is not None:
            self.client.publish(topics.ticket_topic(ticket["zone"]), orjson.dumps(ticket), qos=1)

    def step(self, conn: psycopg.Connection) -> int:
        """One poll: readings since the cursor, findings, tickets. Returns readings seen."""
        now = conn.execute("SELECT now()").fetchone()[0]
        row = conn.execute("SELECT received_to FROM detector_cursors WHERE name = %s", (CURSOR,)).fetchone()
        after = row[0] if row else datetime(2000, 1, 1, tzinfo=timezone.utc)
        if row is None:
            firsts = [conn.execute(f"SELECT min(received_at) FROM {t}").fetchone()[0] for t in feed.TABLES]
            first = min((f for f in firsts if f is not None), default=None)
            after = (first - timedelta(microseconds=1)) if first else now - COMMIT_LAG
        upto = min(now - COMMIT_LAG, after + MAX_WINDOW)
        if upto <= after:
            conn.rollback()
            return 0
        if not self._warm:
            self._warm = True
            if row is not None:
                self.warm_up(conn, after, now)
        readings = feed.new_readings(conn, after, upto)
        if readings and self.config.clock == "data":
            newest = max(r.ts for r in readings)
            self._data_now = newest if self._data_now is None else max(self._data_now, newest)
        infos = feed.vehicles(conn, sorted({r.vehicle_id for r in readings}))
        found: list[tuple] = []  # (finding or clearance, the reading that showed it or None for the clock)
        for reading in readings:
            for det in self.routes[reading.component]:
                found += [(item, reading) for item in det.observe(reading, infos[reading.vehicle_id])]
        found += [(item, None) for item in self._clock(conn, now)]  # after the readings: they were heard
        missing = sorted({item.vehicle_id for item, _ in found} - set(infos))
        infos.update(feed.vehicles(conn, missing) if missing else {})
        changes = []
        for finding, reading in found:
            if isinstance(finding, Clearance):
                cleared = apply_clearance(conn, finding, datetime.now(timezone.utc))
                changes += [(cleared, None)] if cleared else []
                continue
            finding.received_at = reading.received_at if reading is not None else None
            FINDINGS.labels(finding.fault_code).inc()
            change = apply_finding(conn, finding, infos[finding.vehicle_id].zone, datetime.now(timezone.utc))
            changes.append((change, finding.received_at))
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
