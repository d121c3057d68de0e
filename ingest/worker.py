"""The ingest worker: MQTT in, committed rows out, acknowledgement only after commit.

The paho network thread only queues (topic, payload, mid, qos); a writer thread
closes batches on size or age, decodes, writes them in one transaction and then
acknowledges every message of the batch. When the database is slow the bounded
queue fills, the network thread waits, and the broker holds the rest.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg

from fleet_contract import mqtt as fleet_mqtt
from fleet_contract import topics
from fleet_contract.settings import MqttTarget

from . import metrics
from .decode import add_message
from .store import Batch, DeadLetter, write_batch

log = logging.getLogger("fleet.ingest")


@dataclass
class IngestConfig:
    database_url: str
    mqtt: MqttTarget
    client_id: str = "fleet-ingest-0"
    shared: bool = True  # $share/ingest/…: several workers split the stream
    batch_max: int = 5000
    batch_age_s: float = 0.2
    queue_max: int = 50_000


@dataclass
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime


class IngestWorker:
    def __init__(self, config: IngestConfig):
        self.config = config
        self.inbox: queue.Queue[Received] = queue.Queue(maxsize=config.queue_max)
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        self.totals = {"messages": 0, "stored": 0, "duplicates": 0, "deadletters": 0, "batches": 0}
        self.client = fleet_mqtt.make_client(config.mqtt, client_id=config.client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._conn: psycopg.Connection | None = None

    # --- network thread: no I/O, no parsing ------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("broker refused connection", extra={"reason": str(reason_code)})
            return
        sub = f"$share/{topics.SHARED_GROUP}/{topics.SUBSCRIPTION}" if self.config.shared else topics.SUBSCRIPTION
        client.subscribe(sub, qos=1)
        log.info("connected to broker", extra={"subscription": sub, "session_present": flags.session_present})
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self.stop_event.is_set():
            log.warning("broker connection lost; reconnecting", extra={"reason": str(reason_code)})

    def _on_message(self, client, userdata, msg):
        item = Received(msg.topic, msg.payload, msg.mid, msg.qos, datetime.now(timezone.utc))
        while not self.stop_event.is_set():
            try:
                self.inbox.put(item, timeout=0.5)  # back-pressure: the broker holds what we cannot take
                return
            except queue.Full:
                continue

    # --- writer thread --------------------------------------------------------------
    def _take_batch(self) -> list[Received]:
        items: list[Received] = []
        try:
            items.append(self.inbox.get(timeout=0.2))
        except queue.Empty:
            return items
        deadline = time.monotonic() + self.config.batch_age_s
        while len(items) < self.config.batch_max:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                items.append(self.inbox.get(timeout=left))
            except queue.Empty:
                break
        return items

    def _db(self) -> psycopg.Connection:
        delay = 0.5
        while self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self.config.database_url, connect_timeout=5)
            except psycopg.OperationalError as exc:
                if self.stop_event.is_set():
                    raise
                log.warning("database unavailable; retrying", extra={"error": str(exc)[:200], "retry_s": delay})
                self.stop_event.wait(delay)
                delay = min(delay * 2, 10)
        return self._conn

    def _store(self, items: list[Received]) -> None:
        batch = Batch()
        kinds: dict[str, int] = {}
        for it in items:
            kind = add_message(batch, it.topic, it.payload, it.received_at)
            kinds[kind] = kinds.get(kind, 0) + 1
        attempt = 0
        while True:
            try:
                conn = self._db()
                with conn.transaction():
                    written = write_batch(conn, batch)
                break
            except psycopg.OperationalError as exc:
                attempt += 1
                log.warning("batch not stored; will retry", extra={"error": str(exc)[:200], "attempt": attempt})
                if self._conn is not None and not self._conn.closed:
                    self._conn.close()
                self._conn = None
                if self.stop_event.wait(min(0.5 * attempt, 5)):
                    raise
            except psycopg.Error as exc:
                # Data the database refuses (should not pass validation): keep every message, as dead letters.
                log.error("batch refused by the database; dead-lettering it", extra={"error": str(exc)[:300]})
                batch = Batch(deadletters=[DeadLetter(it.topic, "store_error", str(exc)[:500], it.payload,
                                                      it.received_at) for it in items])
        for it in items:
            if it.qos > 0:
                self.client.ack(it.mid, it.qos)
        self._count(kinds, batch, written)

    def _count(self, kinds: dict[str, int], batch: Batch, written) -> None:
        for kind, n in kinds.items():
            metrics.MESSAGES.labels(kind).inc(n)
        for component, n in written.stored.items():
            metrics.READINGS.labels(component).inc(n)
        metrics.DUPLICATES.inc(written.duplicates)
        for d in batch.deadletters:
            metrics.DEADLETTERS.labels(d.reason).inc()
            log.info("dead letter", extra={"topic": d.topic[:200], "reason": d.reason, "detail": d.detail[:200]})
        metrics.BATCHES.inc()
        metrics.QUEUE.set(self.inbox.qsize())
        t = self.totals
        t["messages"] += sum(kinds.values())
        t["stored"] += sum(written.stored.values())
        t["duplicates"] += written.duplicates
        t["deadletters"] += len(batch.deadletters)
        t["batches"] += 1

    def run(self) -> None:
        """Run until stop() is called; what was received and not stored stays unacknowledged (the broker redelivers)."""
        fleet_mqtt.connect(self.client, self.config.mqtt, persistent=True)
        self.client.loop_start()
        log.info("ingest started", extra={"client_id": self.config.client_id})
        last_report = time.monotonic()
        try:
            while not self.stop_event.is_set():
                items = self._take_batch()
                if items:
                    self._store(items)
                if time.monotonic() - last_report > 30:
                    log.info("ingest progress", extra=dict(self.totals))
                    last_report = time.monotonic()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            if self._conn is not None:
                self._conn.close()
            log.info("ingest stopped", extra=dict(self.totals))

    def stop(self) -> None:
        self.stop_event.set()
