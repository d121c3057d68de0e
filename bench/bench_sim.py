"""Simulator throughput: readings/s to a file (1,000 and 10,000 vehicles) and to a live broker.

Run: .venv/bin/python bench/bench_sim.py [--days 30] [--big-days 0.25] [--live-hours 1]

Each figure is printed with the machine's own limit measured in the same run:
for files, orjson.dumps of the same readings plus the file line plus gzip
(same level) on one thread, with no physics at all; for the broker, paho
publishing the same messages from a prepared list. The ratio is how close
the simulator gets to what this machine can do at all.
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402

from simulator.engine import SimConfig, Simulation  # noqa: E402
from simulator.output import GZIP_LEVEL, publish_live, write_file  # noqa: E402


def to_file(vehicles: int, days: float, path: Path) -> dict:
    t0 = time.perf_counter()
    sim = Simulation(SimConfig(vehicles=vehicles, duration=timedelta(days=days), seed=1, faults="random:0.1"))
    messages = write_file(sim.messages(), path)
    wall = time.perf_counter() - t0
    readings = sim.summary()["readings"]
    return {"vehicles": vehicles, "days": days, "wall_s": wall, "messages": messages, "readings": readings,
            "readings_per_s": readings / wall, "file_mb": path.stat().st_size / 1e6}


def raw_limit(sample_records: list[tuple], path: Path) -> float:
    """Readings/s of json-encoding the same payload dicts, the file line and gzip, with nothing else."""
    dicts = [(t, orjson.loads(p), s) for s, t, p, q, r in sample_records]
    t0 = time.perf_counter()
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL,
                                                mtime=0) as gz:
        lines = []
        for topic, d, sent in dicts:
            payload = orjson.dumps(d)
            lines.append(orjson.dumps({"topic": topic, "payload": payload.decode(), "sent_at": d["ts"]}))
            if len(lines) >= 5000:
                gz.write(b"\n".join(lines) + b"\n")
                lines = []
        gz.write(b"\n".join(lines) + b"\n")
    return len(dicts) / (time.perf_counter() - t0)


def sample(vehicles: int, hours: float) -> list[tuple]:
    sim = Simulation(SimConfig(vehicles=vehicles, duration=timedelta(hours=hours), seed=2))
    out = []
    for batch in sim.messages().batches():
        out.extend(r for r in batch if r[2][:1] == b"{" and not r[1].endswith("/meta"))
    return out


def live(url: str, hours: float) -> None:
    from fleet_contract.settings import MqttTarget
    target = MqttTarget.parse(url)
    sim = Simulation(SimConfig(vehicles=1000, duration=timedelta(hours=hours), seed=3))
    msgs = list(sim.messages())
    t0 = time.perf_counter()
    n = publish_live(iter(msgs), target, None, progress=False)
    sim_rate = n / (time.perf_counter() - t0)
    # the machine's limit: paho alone, same messages, no simulator in the loop
    import paho.mqtt.client as mqtt
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if target.username:
        c.username_pw_set(target.username, target.password)
    c.max_queued_messages_set(0)
    c.connect(target.host, target.port)
    c.loop_start()
    t0 = time.perf_counter()
    for m in msgs:
        c.publish(m.topic, m.payload, qos=m.qos, retain=m.retain)
    raw_rate = len(msgs) / (time.perf_counter() - t0)
    c.disconnect()
    c.loop_stop()
    gen_t0 = time.perf_counter()
    sim2 = Simulation(SimConfig(vehicles=1000, duration=timedelta(hours=hours), seed=3))
    sum(1 for _ in sim2.messages())
    gen_rate = n / (time.perf_counter() - gen_t0)
    print(f"live broker: {n} messages (1,000 vehicles, {hours} h) in Message objects at {gen_rate:,.0f} msg/s "
          f"generated; published at {sim_rate:,.0f} msg/s; paho alone {raw_rate:,.0f} msg/s "
          f"(ratio {sim_rate / raw_rate:.2f}; stored list replay, QoS 0)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=30.0, help="simulated days for 1,000 vehicles")
    ap.add_argument("--big-days", type=float, default=0.25, help="simulated days for 10,000 vehicles")
    ap.add_argument("--live-hours", type=float, default=1.0, help="simulated hours for the broker run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        limit = raw_limit(sample(1000, 2.0), tmp / "raw.gz")
        print(f"machine limit (orjson payload + line + gzip level {GZIP_LEVEL}, one thread): {limit:,.0f} readings/s")
        for vehicles, days in ((1000, args.days), (10000, args.big_days)):
            r = to_file(vehicles, days, tmp / "sim.gz")
            print(f"file: {vehicles:,} vehicles x {days:g} days: {r['wall_s']:.1f} s wall, "
                  f"{r['messages']:,} messages, {r['readings']:,} readings, {r['readings_per_s']:,.0f} readings/s "
                  f"(ratio to limit {r['readings_per_s'] / limit:.2f}), {r['file_mb']:.0f} MB")
    url = os.environ.get("FLEET_MQTT_URL")
    if url:
        live(url, args.live_hours)
    else:
        print("live broker: skipped (FLEET_MQTT_URL is not set)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
