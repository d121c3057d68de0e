"""Fuzzing ingest end to end: 1,000+ generated messages through the real Mosquitto into a running worker.

Invariants: ingest neither crashes nor stalls (every message is taken and committed); every
rejected message or reading has its dead letter with the decoder's reason; every valid reading
beside them is stored once; meta and presence land on the vehicle. The pure decoder (fuzzed on its
own in test_decoder_fuzz.py) is the oracle for what each message should produce.
"""
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import orjson
import paho.mqtt.client as mqtt
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from ingest.decode import add_message
from ingest.store import Batch
from tests.conftest import wait_for
from tests.fuzz.strategies import message

pytestmark = pytest.mark.slow
N_GENERATED = 1000


def generate(n: int) -> list[tuple[str, bytes]]:
    """n messages from hypothesis, one vehicle each (FZ0000…), so what lands can be traced to its message."""
    out: list[tuple[str, bytes]] = []

    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None)
    @given(st.data())
    def collect(data):
        if len(out) < n:
            out.append(data.draw(message(f"FZ{len(out):04d}")))
    collect()
    assert len(out) == n
    return out


def edge_cases(start: int) -> list[tuple[str, bytes]]:
    ts = datetime.now(timezone.utc) - timedelta(hours=1)
    one = {"soc_pct": 50.0, "voltage_v": 36.0, "current_a": 1.0, "temp_c": 20.0, "cell_v_min": 3.6, "cell_v_max": 3.7}
    full = [dict(one, ts=int((ts + timedelta(seconds=i)).timestamp() * 1000)) for i in range(1000)]
    return [
        (f"fleet/v1/FZ{start:04d}/battery", orjson.dumps(full)),                      # the largest array allowed
        (f"fleet/v1/FZ{start + 1:04d}/battery", orjson.dumps(full + full[:1])),       # one too many
        (f"fleet/v1/FZ{start + 2:04d}/battery", b"[" + b" " * (300 * 1024) + b"]"),  # over 256 KiB
        (f"fleet/v1/FZ{start + 3:04d}/battery", b""),
        (f"fleet/v1/FZ{start + 4:04d}/battery", orjson.dumps(full[:10] + full[:10])),  # repeats itself
    ]


def expected(topic: str, payload: bytes, now: datetime):
    batch = Batch()
    add_message(batch, topic, payload, now)
    keys = set()
    for r in batch.readings:
        if r.component == "tires":
            keys |= {("tires", r.ts, p) for p in r.values["pressure_kpa"]}
        else:
            keys.add((r.component, r.ts, None))
    return keys, Counter(d.reason for d in batch.deadletters), batch


def stored_keys(db) -> dict[str, set]:
    got: dict[str, set] = {}
    for table, component in (("battery_readings", "battery"), ("brake_readings", "brakes"),
                             ("status_readings", "status")):
        for vid, ts in db.execute(f"SELECT vehicle_id, ts FROM {table} WHERE vehicle_id LIKE 'FZ%%'"):
            got.setdefault(vid, set()).add((component, ts, None))
    for vid, ts, pos in db.execute("SELECT vehicle_id, ts, position FROM tire_readings WHERE vehicle_id LIKE 'FZ%%'"):
        got.setdefault(vid, set()).add(("tires", ts, pos))
    return got


def publish_all(stack, msgs) -> int:
    target = stack.mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fuzz-publisher", protocol=mqtt.MQTTv5)
    client.username_pw_set(target.username, target.password)
    client.max_inflight_messages_set(100)
    acked, ready = set(), threading.Event()
    client.on_publish = lambda c, u, mid, rc, p: acked.add(mid)
    client.on_connect = lambda c, u, f, rc, p: ready.set()
    client.connect(target.host, target.port)
    client.loop_start()
    assert ready.wait(10)
    mids = [client.publish(t, p, qos=1 if i % 10 else 0).mid for i, (t, p) in enumerate(msgs)]
    qos1 = {m for i, m in enumerate(mids) if i % 10}
    wait_for(lambda: acked >= qos1, 60)
    client.disconnect()
    client.loop_stop()
    return len(msgs)


def test_fuzzed_messages_through_the_broker(stack, db, ingest):
    msgs = generate(N_GENERATED)
    msgs += edge_cases(len(msgs))
    now = datetime.now(timezone.utc)
    sent = publish_all(stack, msgs)
    wait_for(lambda: ingest.totals["messages"] >= sent, 120)  # no stall: every message was taken and committed
    time.sleep(0.5)
    assert ingest.totals["messages"] == sent

    got = stored_keys(db)
    dead: dict[str, Counter] = {}
    for topic, reason in db.execute("SELECT topic, reason FROM deadletters"):
        dead.setdefault(topic, Counter())[reason] += 1
    vehicles = {v: (zone, presence) for v, zone, presence in
                db.execute("SELECT vehicle_id, zone, presence FROM vehicles WHERE vehicle_id LIKE 'FZ%%'")}
    want_readings = want_dead = 0
    for i, (topic, payload) in enumerate(msgs):
        keys, reasons, batch = expected(topic, payload, now)
        vid = f"FZ{i:04d}"
        want_readings += len(keys)
        want_dead += sum(reasons.values())
        assert got.get(vid, set()) == keys, f"message {i} on {topic}: readings differ; payload {payload[:300]!r}"
        assert dead.get(topic, Counter()) == reasons, f"message {i} on {topic}: dead letters differ"
        if batch.metas:
            assert vehicles[vid][0] == batch.metas[vid].zone
        if batch.presence:
            assert vehicles[vid][1] == batch.presence[vid][0]
    stored = sum(len(v) for v in got.values())
    print(f"\n[ingest fuzz] messages sent={sent} (hypothesis {N_GENERATED} + 5 edge cases) readings expected={want_readings} "
          f"stored={stored} duplicates_skipped={ingest.totals['duplicates']} dead-lettered={sum(sum(c.values()) for c in dead.values())} "
          f"(expected {want_dead})")
    assert stored == want_readings
