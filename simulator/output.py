"""Where simulated messages go: a gzip JSON-lines file, a live MQTT broker (paced), or back from either.

File format (CONTRACT section 6): one JSON object a line,
`{"topic": str, "payload": str (the payload's UTF-8 text), "sent_at": RFC 3339}`,
plus `"qos"`/`"retain"` when they are not 0/false (so meta and presence stay
retained on replay). Gzip with mtime 0: same messages, same bytes.
"""
from __future__ import annotations

import gzip
import logging
import queue
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import orjson

from fleet_contract.settings import MqttTarget

from .engine import Message, _MessageStream

log = logging.getLogger(__name__)
GZIP_LEVEL = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ms(dt: datetime) -> int:
    return (dt - _EPOCH) // timedelta(milliseconds=1)


def _sent_strings(ms_list: list[int]) -> list[str]:
    return np.datetime_as_string(np.array(ms_list, dtype="datetime64[ms]"), unit="ms", timezone="UTC").tolist()


def _lines(batch: list[tuple]) -> bytes:
    """Records (sent_ms, topic, payload, qos, retain) as JSON lines."""
    dumps = orjson.dumps
    sent = _sent_strings([r[0] for r in batch])
    parts = []
    for (ms, topic, payload, qos, retain), s in zip(batch, sent):
        row = {"topic": topic, "payload": payload.decode(), "sent_at": s}
        if qos:
            row["qos"] = qos
        if retain:
            row["retain"] = True
        parts.append(dumps(row))
    parts.append(b"")
    return b"\n".join(parts)


def _record_batches(messages) -> Iterator[list[tuple]]:
    if isinstance(messages, _MessageStream) and not messages._started:
        yield from messages.batches()
        return
    batch = []
    for m in messages:
        batch.append((_ms(m.sent_at), m.topic, m.payload, m.qos, m.retain))
        if len(batch) >= 5000:
            yield batch
            batch = []
    if batch:
        yield batch


def write_file(messages: Iterable[Message], path, progress=None) -> int:
    """Write messages as gzip JSON lines; returns the count. A fresh `Simulation.messages()` takes a fast path.

    Compression runs in a second thread (zlib releases the GIL), so a
    generator and the compressor use both cores. `progress`, if given, is
    called with the number of messages after each batch.
    """
    chunks: queue.Queue = queue.Queue(maxsize=64)
    errors: list[BaseException] = []

    def compress():
        try:
            with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                        compresslevel=GZIP_LEVEL, mtime=0) as gz:
                while (chunk := chunks.get()) is not None:
                    gz.write(chunk)
        except BaseException as e:  # reported by the caller's thread
            errors.append(e)
            while chunks.get() is not None:
                pass

    writer = threading.Thread(target=compress, name="gzip-writer", daemon=True)
    writer.start()
    count = 0
    pending: list[bytes] = []
    size = 0
    try:
        for batch in _record_batches(messages):
            if not batch:
                continue
            data = _lines(batch)
            pending.append(data)
            size += len(data)
            count += len(batch)
            if size > 1 << 20:
                chunks.put(b"".join(pending))
                pending, size = [], 0
            if progress is not None:
                progress(count)
            if errors:
                break
    finally:
        if pending:
            chunks.put(b"".join(pending))
        chunks.put(None)
        writer.join()
    if errors:
        raise errors[0]
    return count


def read_file(path) -> Iterator[Message]:
    """Messages of a file written by `write_file` or `record`, in file order."""
    with gzip.open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            row = orjson.loads(line)
            sent = datetime.fromisoformat(row["sent_at"].replace("Z", "+00:00"))
            yield Message(sent, row["topic"], row["payload"].encode(), int(row.get("qos", 0)),
                          bool(row.get("retain", False)))


# ------------------------------------------------------------------ pacing
def pace(sent_at: datetime, first_sent: datetime, wall_start: float, speed: float | None) -> float:
    """The monotonic time at which to send a message, the first having been sent at `wall_start`.

    Simulated time runs `speed` times real time: a message sent `d` simulated
    seconds after the first one goes out `d / speed` real seconds after the
    start. `speed` None means no waiting: `wall_start` itself.
    """
    if speed is None:
        return wall_start
    return wall_start + (sent_at - first_sent).total_seconds() / speed


def schedule(sent_times: list[datetime], speed: float | None) -> list[float]:
    """Planned send offsets in real seconds from the first message (what `publish_live` keeps to)."""
    if not sent_times:
        return []
    return [pace(t, sent_times[0], 0.0, speed) for t in sent_times]


class _Client:
    """A paho 2.x MQTT 5 client on its own network thread, connected or raising ConnectionError."""

    def __init__(self, target: MqttTarget, client_id: str):
        import paho.mqtt.client as mqtt
        self.mqtt = mqtt
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        if target.username:
            self.client.username_pw_set(target.username, target.password)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(1000)
        self.connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.reconnect_delay_set(1, 30)
        try:
            self.client.connect(target.host, target.port, keepalive=30)
        except OSError as e:
            raise ConnectionError(f"cannot connect to MQTT broker {target.host}:{target.port}: {e}") from None
        self.client.loop_start()
        if not self.connected.wait(10):
            self.client.loop_stop()
            raise ConnectionError(f"MQTT broker {target.host}:{target.port} did not accept the connection")

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            self.connected.set()
            if getattr(self, "on_connected", None):
                self.on_connected()

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def publish_live(messages: Iterable[Message], target: MqttTarget, speed: float | None,
                 qos: int | None = None, stop: threading.Event | None = None, progress: bool = True) -> int:
    """Publish messages to a broker, paced to `speed` x real time (None: as fast as possible).

    One client publishes for the whole fleet (a client per vehicle is too
    expensive), so there is no per-vehicle Last Will: presence is emulated
    by the retained `online`/`offline` messages in the stream. `qos`
    overrides the readings' QoS (meta and presence keep theirs). Waits for
    QoS 1 publishes to complete at the end; returns messages published.
    """
    stop = stop or threading.Event()
    conn = _Client(target, client_id=f"fleet-sim-{int(time.time() * 1000) % 10**9}")
    bar = _bar(progress, "published")
    count = 0
    last_info = None
    first = None
    wall_start = time.monotonic()
    try:
        for m in messages:
            if stop.is_set():
                break
            if speed is not None:
                first = first or m.sent_at
                wait = pace(m.sent_at, first, wall_start, speed) - time.monotonic()
                if wait > 0 and stop.wait(wait):
                    break
            q = m.qos if (qos is None or m.retain) else qos
            info = conn.client.publish(m.topic, m.payload, qos=q, retain=m.retain)
            if q:
                last_info = info
            count += 1
            if bar is not None and count % 1000 == 0:
                bar.update(1000)
        if last_info is not None:
            deadline = time.monotonic() + 30
            while not last_info.is_published() and time.monotonic() < deadline and not stop.is_set():
                time.sleep(0.01)
    finally:
        if bar is not None:
            bar.update(count % 1000)
            bar.close()
        conn.close()
    return count


def record(target: MqttTarget, path, duration: float | None, stop: threading.Event | None = None) -> int:
    """Subscribe to fleet/v1/# and write what arrives (receive time as sent_at) until `duration` s or `stop`."""
    stop = stop or threading.Event()
    received: queue.Queue = queue.Queue(maxsize=100_000)
    dropped = 0

    def on_message(client, userdata, msg):
        nonlocal dropped
        item = Message(datetime.now(timezone.utc), msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain))
        while not stop.is_set():
            try:
                received.put(item, timeout=0.5)  # back-pressure: the broker holds what the file writer cannot take
                return
            except queue.Full:
                continue
        dropped += 1  # only when stopping with a full queue

    conn = _Client.__new__(_Client)
    conn.on_connected = lambda: conn.client.subscribe("fleet/v1/#", qos=1)
    _Client.__init__(conn, target, client_id=f"fleet-record-{int(time.time() * 1000) % 10**9}")
    conn.client.on_message = on_message
    conn.client.subscribe("fleet/v1/#", qos=1)
    deadline = None if duration is None else time.monotonic() + duration

    def drain() -> Iterator[Message]:
        while True:
            if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                break
            try:
                yield received.get(timeout=0.1)
            except queue.Empty:
                continue
        conn.close()
        while True:
            try:
                yield received.get_nowait()
            except queue.Empty:
                return

    try:
        count = write_file(drain(), path)
    finally:
        conn.close()
    if dropped:
        log.warning("record: %d messages not written: stopped with a full queue", dropped)
    return count


def _bar(enabled: bool, unit: str):
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(unit=" msg", desc=unit, file=sys.stderr, mininterval=0.5)


