"""The ingest worker: MQTT in, committed rows out, acknowledgement only after commit.

The paho network thread only queues (topic, payload, mid, qos, connection
generation); a decoder thread closes batches on size, bytes or age and decodes
them; the committer (the thread in run()) writes each in one transaction, while
the next one is decoded, and then acknowledges every QoS 1 message of the
batch (readings, dead letters and ignored messages alike: each is acknowledged
only once all it produced is committed). Memory stays bounded: MQTT 5 Receive
Maximum caps the unacknowledged QoS 1 messages the broker sends us, so when the
database is slow the broker holds the rest; a QoS 0 flood blocks the network
thread (TCP back-pressure) once the queue is full.
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
from .retention import Maintenance, RetentionConfig
from .store import Batch, DeadLetter, Written, clean_text, write_batch

log = logging.getLogger("fleet.ingest")


@dataclass
class IngestConfig:
    database_url: str
    mqtt: MqttTarget
    client_id: str = "fleet-ingest-0"
    shared: bool = True  # $share/ingest/…: several workers split the stream
    batch_max: int = 2000  # messages
    batch_bytes: int = 4_000_000  # payload bytes: arrays of readings make messages big
    batch_age_s: float = 0.2
    receive_max: int = 5000  # unacknowledged QoS 1 messages the broker may send us (MQTT 5 Receive Maximum)
    queue_max: int = 20_000  # > receive_max: QoS 1 never blocks the network thread on the count
    inbox_bytes_max: int = 256 * 1024 * 1024  # ... and memory stays bounded even for 256 KiB messages
    raw_retention_days: int = 90
    maintenance_interval_s: float | None = 300.0  # rollups and raw retention (ingest/retention.py); None: off


@dataclass
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime
    generation: int  # the broker connection it came on: a packet id means nothing on another connection


class IngestWorker:
    def __init__(self, config: IngestConfig):
        self.config = config
        self.inbox: queue.Queue[Received] = queue.Queue(maxsize=config.queue_max)
        # decoded batches waiting for commit: one in hand, so decoding the next overlaps the database's work
        self.decoded: queue.Queue[tuple[list[Received], Batch, dict[str, int]]] = queue.Queue(maxsize=1)
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        self.totals = {"received": 0, "messages": 0, "stored": 0, "duplicates": 0, "deadletters": 0, "batches": 0,
                       "acked": 0, "not_acked_stale": 0, "decode_s": 0.0, "commit_s": 0.0}
        self._generation = 0
        self._ack_lock = threading.Lock()  # a generation change and an ack never interleave
        self._inbox_bytes = 0
        self._bytes_lock = threading.Lock()
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
        with self._ack_lock:
            self._generation += 1  # acks of messages received before now would hit the next connection's ids
        self.connected.clear()
        if not self.stop_event.is_set():
            log.warning("broker connection lost; reconnecting", extra={"reason": str(reason_code)})

    def _on_message(self, client, userdata, msg):
        item = Received(msg.topic, msg.payload, msg.mid, msg.qos, datetime.now(timezone.utc), self._generation)
        # Back-pressure (only when the database is far behind): the broker holds what we cannot take.
        while self._inbox_bytes > self.config.inbox_bytes_max and not self.stop_event.wait(0.05):
            pass
        while not self.stop_event.is_set():
            try:
                self.inbox.put(item, timeout=0.5)
                self.totals["received"] += 1  # only this thread writes it
                with self._bytes_lock:
                    self._inbox_bytes += len(item.payload)
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
        size = len(items[0].payload)
        deadline = time.monotonic() + self.config.batch_age_s
        while len(items) < self.config.batch_max and size < self.config.batch_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                it = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            items.append(it)
            size += len(it.payload)
        with self._bytes_lock:
            self._inbox_bytes -= size
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

    def _drop_connection(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None

    def _commit(self, batch: Batch) -> Written | None:
        """Write one batch, retrying while the database is unreachable; None when stopped first.

        Any other error propagates: the data itself was refused.
        """
        attempt = 0
        while True:
            try:
                conn = self._db()
                with conn.transaction():
                    return write_batch(conn, batch)
            except psycopg.Error as exc:
                if not _is_connection_error(exc):
                    raise
                attempt += 1
                log.warning("batch not stored; will retry", extra={"error": str(exc)[:200], "attempt": attempt})
                self._drop_connection()
                if self.stop_event.wait(min(0.5 * attempt, 5)):
                    return None

    def _decode(self, items: list[Received]) -> tuple[Batch, dict[str, int]]:
        batch = Batch()
        kinds: dict[str, int] = {}
        for it in items:
            kind = _add_safely(batch, it)
            kinds[kind] = kinds.get(kind, 0) + 1
        return batch, kinds

    def _decode_loop(self) -> None:
        """Decoder thread: batches from the inbox, decoded, handed to the committer."""
        while not self.stop_event.is_set():
            items = self._take_batch()
            if not items:
                continue
            t0 = time.perf_counter()
            decoded = (items, *self._decode(items))
            self.totals["decode_s"] += time.perf_counter() - t0
            while not self.stop_event.is_set():
                try:
                    self.decoded.put(decoded, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def _store(self, items: list[Received], batch: Batch, kinds: dict[str, int]) -> bool:
        """Commit and acknowledge a decoded batch; False when stopped before it was committed."""
        t0 = time.perf_counter()
        try:
            written = self._commit(batch)
        except Exception as exc:  # noqa: BLE001 - never let one message stop the writer
            # Data the database refuses (validation should have caught it): store message by message,
            # so only the message at fault becomes a dead letter and every good reading beside it is kept.
            log.error("batch refused by the database; storing message by message", extra={"error": str(exc)[:300]})
            self._drop_connection()
            return self._store_one_by_one(items)
        if written is None:
            return False
        self._ack(items)
        self.totals["commit_s"] += time.perf_counter() - t0
        self._count(kinds, batch, written)
        return True

    def _store_one_by_one(self, items: list[Received]) -> bool:
        for it in items:
            batch, kinds = self._decode([it])
            try:
                written = self._commit(batch)
            except Exception as exc:  # noqa: BLE001
                self._drop_connection()
                batch = Batch(deadletters=[DeadLetter(it.topic, "store_error", clean_text(str(exc)), it.payload,
                                                      it.received_at)])
                written = self._commit(batch)  # a dead letter is topic, text and bytes: always storable
            if written is None:
                return False
            self._ack([it])
            self._count(kinds, batch, written)
        return True

    def _ack(self, items: list[Received]) -> None:
        with self._ack_lock:
            for it in items:
                if it.qos == 0:
                    continue
                if it.generation != self._generation:
                    self.totals["not_acked_stale"] += 1  # the broker redelivers it; storing it again is harmless
                    continue
                self.client.ack(it.mid, it.qos)
                self.totals["acked"] += 1

    def _count(self, kinds: dict[str, int], batch: Batch, written: Written) -> None:
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
        fleet_mqtt.connect(self.client, self.config.mqtt, persistent=True, receive_maximum=self.config.receive_max)
        self.client.loop_start()
        decoder = threading.Thread(target=self._decode_loop, name="ingest-decode", daemon=True)
        decoder.start()
        maintenance = None
        if self.config.maintenance_interval_s:
            maintenance = Maintenance(self.config.database_url, RetentionConfig(
                self.config.raw_retention_days, self.config.maintenance_interval_s))
            threading.Thread(target=maintenance.run, name="ingest-retention", daemon=True).start()
        log.info("ingest started", extra={"client_id": self.config.client_id})
        last_report = time.monotonic()
        try:
            while not self.stop_event.is_set():
                try:
                    decoded = self.decoded.get(timeout=0.2)
                except queue.Empty:
                    decoded = None
                if decoded and not self._store(*decoded):
                    break
                if time.monotonic() - last_report > 30:
                    log.info("ingest progress", extra=dict(self.totals, queue=self.inbox.qsize()))
                    last_report = time.monotonic()
        finally:
            self.stop_event.set()
            if maintenance is not None:
                maintenance.stop()
            decoder.join(5)
            self.client.disconnect()  # normal disconnect: the session (and what we did not ack) stays at the broker
            self.client.loop_stop()
            self._drop_connection()
            log.info("ingest stopped", extra=dict(self.totals, client_id=self.config.client_id))

    def stop(self) -> None:
        self.stop_event.set()


def _is_connection_error(exc: psycopg.Error) -> bool:
    """Trouble reaching the server or a transient conflict (retry), as opposed to data it refused (do not)."""
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    return (exc.sqlstate or "")[:2] in ("08", "40", "53", "57", "58")


def _add_safely(batch: Batch, it: Received) -> str:
    """Decode one message into the batch; a decoder bug dead-letters the message instead of stopping ingest."""
    try:
        return add_message(batch, it.topic, it.payload, it.received_at)
    except Exception as exc:  # noqa: BLE001 - the one place where anything must become a dead letter
        log.exception("decoder failed on a message")
        batch.deadletters.append(DeadLetter(it.topic, "decode_error", clean_text(repr(exc)), it.payload,
                                            it.received_at))
        return "rejected"
