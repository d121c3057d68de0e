"""Ingest throughput end to end, beside the machine's own raw COPY rate for the same rows.

Run: .venv/bin/python bench/bench_ingest.py [--readings 300000] [--workers 1,2,4]
     .venv/bin/python bench/bench_ingest.py --fleet 100000 --minutes 10   # a fleet at default rates

Starts its own TimescaleDB and Mosquitto under bench/out/ (never the machine's own).
1. Raw COPY: binary COPY of the readings straight into battery_readings, 10,000 rows a statement:
   the ceiling for this machine and database, measured in the same run.
2. End to end, for 1, 2 and 4 workers (`fleet ingest --workers N`): a publisher process sends the same
   readings as arrays of 100 per message at QoS 1 through Mosquitto; the clock runs from the first
   publish to the last row committed. Printed beside the raw rate, with the ratio.
3. --fleet N: N vehicles at the simulator's default reporting intervals (one reading a message, 20 %
   of vehicles riding, the rest parked) for --minutes; every 10 s the backlog (rows published and not
   yet stored) is sampled; the fleet is held if the backlog does not grow over the second half.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402

from fleet_cli.services import LocalServices  # noqa: E402
from fleet_contract.db import migrate  # noqa: E402
from fleet_contract.settings import MqttTarget  # noqa: E402
from ingest.store import TABLES  # noqa: E402

PER_MESSAGE = 100
VEHICLES = 500
# simulator/engine.py DEFAULT_INTERVALS_S: (parked, riding) seconds per component
INTERVALS = {"battery": (900, 30), "brakes": (3600, 120), "tires": (1800, 300), "status": (900, 30)}
RIDING_SHARE = 0.2


def readings(n: int, base: datetime) -> list[tuple[str, int, dict]]:
    """n battery readings: (vehicle_id, epoch ms, values), VEHICLES vehicles, one second apart per vehicle."""
    out = []
    base_ms = int(base.timestamp() * 1000)
    for i in range(n):
        v, k = i % VEHICLES, i // VEHICLES
        out.append((f"B-{v:04d}", base_ms + k * 1000, {"seq": k, "soc_pct": 90.0 - (k % 500) * 0.1,
                                                        "voltage_v": 37.2, "current_a": 3.1, "temp_c": 25.5,
                                                        "cell_v_min": 3.71, "cell_v_max": 3.74, "cycles": 211}))
    return out


def raw_copy_rate(database_url: str, rows: list) -> float:
    cols = ("vehicle_id", "ts", "seq", "soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min", "cell_v_max",
            "cycles")
    types = ["text", "timestamptz", "int8"] + ["float8"] * 6 + ["int4"]
    tuples = [(v, datetime.fromtimestamp(ms / 1000, timezone.utc), d["seq"], d["soc_pct"], d["voltage_v"],
               d["current_a"], d["temp_c"], d["cell_v_min"], d["cell_v_max"], d["cycles"]) for v, ms, d in rows]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE battery_readings")
        start = time.perf_counter()
        for i in range(0, len(tuples), 10_000):
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy(f"COPY battery_readings ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for t in tuples[i:i + 10_000]:
                        copy.write_row(t)
        elapsed = time.perf_counter() - start
        conn.execute("TRUNCATE battery_readings")
    return len(tuples) / elapsed


def messages_of(rows: list) -> list[tuple[str, bytes]]:
    by_vehicle: dict[str, list] = {}
    for v, ms, d in rows:
        by_vehicle.setdefault(v, []).append({"ts": ms, **d})
    out = []
    for v, docs in by_vehicle.items():
        for i in range(0, len(docs), PER_MESSAGE):
            out.append((f"fleet/v1/{v}/battery", orjson.dumps(docs[i:i + PER_MESSAGE])))
    out.sort(key=lambda m: orjson.loads(m[1])[0]["ts"])  # time order across vehicles, like a live fleet
    return out


def _publisher(url: str, msgs: list, started, done) -> None:
    import paho.mqtt.client as mqtt
    t = MqttTarget.parse(url)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}", protocol=mqtt.MQTTv5)
    c.username_pw_set(t.username, t.password)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect(t.host, t.port)
    c.loop_start()
    started.set()
    infos = [c.publish(topic, payload, qos=1) for topic, payload in msgs]
    for info in infos:
        info.wait_for_publish(120)
    done.set()
    c.disconnect()
    c.loop_stop()


def count_rows(conn) -> int:
    return conn.execute("SELECT count(*) FROM battery_readings").fetchone()[0]


def start_ingest(state, n: int, client_id: str) -> subprocess.Popen:
    env = dict(os.environ, FLEET_DATABASE_URL=state.database_url, FLEET_MQTT_URL=state.mqtt_url_for("ingest"),
               FLEET_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "fleet_cli.main", "ingest", "--workers", str(n),
                             "--client-id", client_id], cwd=ROOT, env=env)


def end_sessions(url: str, client_ids: list[str]) -> None:
    """Remove the benchmark's persistent sessions, so an old $share member holds no later messages."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    t = MqttTarget.parse(url)
    for cid in client_ids:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        c.username_pw_set(t.username, t.password)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 0
        c.connect(t.host, t.port, clean_start=True, properties=props)
        c.loop_start()
        time.sleep(0.2)
        c.disconnect()
        c.loop_stop()


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def end_to_end_rate(state, msgs: list, total: int, n: int) -> float:
    with psycopg.connect(state.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE battery_readings")
        cid = f"bench-{n}w"
        ingest = start_ingest(state, n, cid)
        time.sleep(3 + n)  # processes up, sessions and subscriptions made
        started, done = mp.Event(), mp.Event()
        pub = mp.Process(target=_publisher, args=(state.mqtt_url_for("sim"), msgs, started, done))
        pub.start()
        try:
            started.wait(30)
            t0 = time.perf_counter()
            deadline = t0 + 600
            while count_rows(conn) < total and time.perf_counter() < deadline:
                time.sleep(0.05)
            elapsed = time.perf_counter() - t0
            stored = count_rows(conn)
            pub.join(60)
        finally:
            if pub.is_alive():
                pub.terminate()
            stop(ingest)
    end_sessions(state.mqtt_url_for("ingest"), [cid] if n == 1 else [f"{cid}-{i}" for i in range(n)])
    if stored < total:
        print(f"  {n} worker(s): only {stored} of {total} rows within 600 s", flush=True)
    return stored / elapsed


# --- a fleet at default rates ----------------------------------------------------------
def _fleet_publisher(url: str, vehicles: int, seconds: float, published, stop_flag) -> None:
    """Publish like `vehicles` vehicles at default intervals: one reading a message, QoS 1."""
    import heapq
    import random

    import paho.mqtt.client as mqtt
    t = MqttTarget.parse(url)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-fleet", protocol=mqtt.MQTTv5)
    c.username_pw_set(t.username, t.password)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect(t.host, t.port)
    c.loop_start()
    rng = random.Random(7)
    heap = []
    for v in range(vehicles):
        riding = rng.random() < RIDING_SHARE
        for comp, (parked_s, riding_s) in INTERVALS.items():
            every = riding_s if riding else parked_s
            heapq.heappush(heap, (rng.uniform(0, every), every, v, comp))
    start = time.monotonic()
    base_ms = int(time.time() * 1000)
    rows = 0
    body = {"battery": {"soc_pct": 70.0, "voltage_v": 37.0, "current_a": 2.0, "temp_c": 21.0, "cell_v_min": 3.7,
                        "cell_v_max": 3.72},
            "brakes": {"pad_front_mm": 3.1, "pad_rear_mm": 3.4},
            "tires": {"pressure_kpa": {"front": 310.0, "rear": 320.0}},
            "status": {"lat": 52.5, "lon": 13.4, "speed_kmh": 12.0, "odometer_km": 1234.5, "state": "riding"}}
    while heap and not stop_flag.is_set():
        due, every, v, comp = heapq.heappop(heap)
        if due > seconds:
            break
        wait = start + due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        payload = orjson.dumps({"ts": base_ms + int(due * 1000), **body[comp]})
        last = c.publish(f"fleet/v1/F-{v:06d}/{comp}", payload, qos=1)
        rows += 2 if comp == "tires" else 1
        published.value = rows
        heapq.heappush(heap, (due + every, every, v, comp))
    last.wait_for_publish(60)  # in order: the last acknowledged means all were
    c.disconnect()
    c.loop_stop()


def fleet_rows(conn) -> int:
    return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
               for t in ("battery_readings", "brake_readings", "tire_readings", "status_readings"))


def sustain(state, vehicles: int, minutes: float, workers: int) -> bool:
    seconds = minutes * 60
    msgs_s = vehicles * sum((1 - RIDING_SHARE) / p + RIDING_SHARE / r for p, r in INTERVALS.values())
    print(f"\nFleet of {vehicles:,} vehicles at default intervals ({RIDING_SHARE:.0%} riding): "
          f"{msgs_s:,.0f} messages/s for {minutes:g} min, {workers} ingest worker(s)", flush=True)
    with psycopg.connect(state.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE battery_readings, brake_readings, tire_readings, status_readings")
        ingest = start_ingest(state, workers, f"bench-fleet-{workers}w")
        time.sleep(3 + workers)
        published, stop_flag = mp.Value("q", 0), mp.Event()
        pub = mp.Process(target=_fleet_publisher, args=(state.mqtt_url_for("sim"), vehicles, seconds, published,
                                                        stop_flag))
        pub.start()
        t0 = time.monotonic()
        samples = []
        try:
            while pub.is_alive():
                time.sleep(10)
                sent, stored = published.value, fleet_rows(conn)
                samples.append((time.monotonic() - t0, sent, stored, sent - stored))
                print(f"  t={samples[-1][0]:5.0f} s  rows published={sent:>9,}  stored={stored:>9,}  "
                      f"backlog={sent - stored:>7,}", flush=True)
            pub.join()
            time.sleep(5)
            final_sent, final_stored = published.value, fleet_rows(conn)
        finally:  # also on Ctrl-C: no publisher or ingest left behind
            stop_flag.set()
            pub.join(10)
            if pub.is_alive():
                pub.terminate()
            stop(ingest)
    end_sessions(state.mqtt_url_for("ingest"), [f"bench-fleet-{workers}w"] if workers == 1 else
                 [f"bench-fleet-{workers}w-{i}" for i in range(workers)])
    half = [s for s in samples if s[0] >= seconds / 2] or samples
    growth = half[-1][3] - half[0][3]
    rate = msgs_s * (1 + 0.25)  # tires messages hold two rows; backlog tolerance: 2 s of traffic
    held = abs(growth) <= max(2 * rate, 100) and final_stored >= final_sent
    print(f"  backlog over the second half: {half[0][3]:,} -> {half[-1][3]:,} rows; after the stream: "
          f"{final_sent - final_stored:,}. {'HELD' if held else 'NOT HELD'}", flush=True)
    return held


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--readings", type=int, default=300_000)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--fleet", type=int, help="also hold a fleet of this many vehicles at default rates")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--fleet-workers", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "bench/out/ingest")
    args = p.parse_args()
    services = LocalServices(args.out.resolve() / "state")
    state = services.up()
    migrate(state.database_url)
    try:
        if args.workers:
            rows = readings(args.readings, datetime.now(timezone.utc) - timedelta(days=2))
            raw = raw_copy_rate(state.database_url, rows)
            msgs = messages_of(rows)
            print(f"Ingest benchmark: {len(rows):,} battery readings, {PER_MESSAGE} a message "
                  f"({len(msgs):,} QoS 1 messages), {os.cpu_count()} CPU cores\n")
            print(f"{'path':<44}{'readings/s':>12}{'of raw COPY':>14}")
            print(f"{'raw binary COPY (this machine, same rows)':<44}{raw:>12,.0f}{'100 %':>14}", flush=True)
            for n in (int(x) for x in args.workers.split(",")):
                rate = end_to_end_rate(state, msgs, len(rows), n)
                print(f"{f'MQTT -> fleet ingest --workers {n} -> rows':<44}{rate:>12,.0f}{rate / raw:>13.0%}",
                      flush=True)
        if args.fleet:
            sustain(state, args.fleet, args.minutes, args.fleet_workers)
    finally:
        services.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
