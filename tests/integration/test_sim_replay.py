"""Replay through the real broker keeps the recording's order and relative timing (within 5 %)."""
import os
import subprocess
import sys
import threading
from datetime import timedelta

import orjson

from simulator.engine import SimConfig, Simulation
from simulator.output import read_file, record, write_file

SPEED = 20.0


def test_replay_keeps_order_and_timing(stack, tmp_path):
    src = tmp_path / "fleet.jsonl.gz"
    sim = Simulation(SimConfig(vehicles=150, duration=timedelta(minutes=3), seed=11))
    written = write_file(sim.messages(), src)
    original = list(read_file(src))
    assert len(original) == written > 300
    span = (original[-1].sent_at - original[0].sent_at).total_seconds()

    got = tmp_path / "got.jsonl.gz"
    stop = threading.Event()
    recorder = threading.Thread(target=record, args=(stack.mqtt, got, None, stop))
    recorder.start()
    try:
        env = dict(os.environ, FLEET_MQTT_URL=stack.mqtt_url)
        r = subprocess.run([sys.executable, "-m", "fleet_cli.main", "replay", str(src), "--speed", str(SPEED)],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        import time
        time.sleep(1.0)
        stop.set()
        recorder.join(30)
    # Retained messages of earlier tests (other vehicles) arrive too on subscribing: keep this fleet's topics.
    topics = {m.topic for m in original}
    received = [m for m in read_file(got) if m.topic in topics]
    assert [(m.topic, m.payload) for m in received] == [(m.topic, m.payload) for m in original]
    expected = span / SPEED
    t0 = received[0].sent_at
    worst = max(abs((r.sent_at - t0).total_seconds() - (o.sent_at - original[0].sent_at).total_seconds() / SPEED)
                for r, o in zip(received, original))
    print(f"replayed {len(received)} messages over {expected:.2f} s; worst timing error {worst * 1000:.0f} ms "
          f"({100 * worst / expected:.2f} % of the span)")
    assert worst <= 0.05 * expected
    assert all(orjson.loads(m.payload) is not None for m in received if m.topic.endswith("/battery"))
