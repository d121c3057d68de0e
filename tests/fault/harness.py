"""What every ingest fault test needs: its own broker and database, `fleet ingest` as a real process,
a 100,000-reading stream published at QoS 1 through a persistent session, and the figures at the end."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from fleet_cli.services import LocalServices
from fleet_contract.db import migrate
from fleet_contract.settings import MqttTarget

ROOT = Path(__file__).resolve().parents[2]
VEHICLES = 100
PER_MESSAGE = 100  # readings a message (a vehicle flushing its buffer)
MESSAGES = 1000    # 100 x 1000 = 100,000 readings


class OwnStack:
    """A private TimescaleDB and Mosquitto that a test may stop, kill and restart."""

    def __init__(self, state_dir: Path):
        self.services = LocalServices(state_dir)
        self.state = self.services.up()
        migrate(self.state.database_url)

    def url(self, role: str) -> str:
        return self.state.mqtt_url_for(role)

    def restart_broker(self, down_s: float = 1.0) -> None:
        self.services.stop_mosquitto(self.state)  # SIGTERM: Mosquitto saves its store on the way out
        time.sleep(down_s)
        self.services.start_mosquitto(self.state)

    def restart_postgres(self, down_s: float = 3.0) -> None:
        self.services.stop_postgres(self.state)  # pg_ctl stop -m fast: sessions cut mid-transaction
        time.sleep(down_s)
        self.services.start_postgres(self.state)

    def close(self) -> None:
        self.services.down()
        pg_dir = self.services.load().pg_dir
        if pg_dir and not str(pg_dir).startswith(str(self.services.state_dir)):
            shutil.rmtree(pg_dir, ignore_errors=True)


class IngestProcess:
    """`fleet ingest` as its own OS process, logging JSON lines to a file."""

    def __init__(self, stack: OwnStack, client_id: str, log_path: Path, shared: bool = False):
        self.stack, self.client_id, self.log_path, self.shared = stack, client_id, log_path, shared
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, FLEET_DATABASE_URL=self.stack.state.database_url,
                   FLEET_MQTT_URL=self.stack.url("ingest"), FLEET_STATE_DIR=str(self.stack.services.state_dir))
        log = open(self.log_path, "ab")
        args = ["ingest", "--client-id", self.client_id] + (["--shared"] if self.shared else [])
        self.proc = subprocess.Popen([sys.executable, "-m", "fleet_cli.main", *args], cwd=ROOT, env=env, stderr=log,
                                     stdout=log)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> dict:
        """SIGTERM, then the totals of the run from its last `ingest stopped` log line."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        totals = {}
        for line in self.log_path.read_bytes().splitlines():
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if doc.get("msg") == "ingest stopped":
                totals = doc
        return totals


def stream(base: datetime) -> list[tuple[str, bytes]]:
    """1,000 battery messages of 100 readings each: vehicle V-i, ts one second apart, no key repeated."""
    out = []
    per_vehicle = MESSAGES // VEHICLES
    for m in range(MESSAGES):
        vehicle, part = m % VEHICLES, m // VEHICLES
        readings = [{"ts": int((base + timedelta(seconds=(part * PER_MESSAGE + k))).timestamp() * 1000),
                     "seq": part * PER_MESSAGE + k, "soc_pct": 80.0 - k * 0.01, "voltage_v": 37.0,
                     "current_a": 2.5, "temp_c": 24.0, "cell_v_min": 3.70, "cell_v_max": 3.72}
                    for k in range(PER_MESSAGE)]
        out.append((f"fleet/v1/V-{vehicle:03d}/battery", orjson.dumps(readings)))
    assert per_vehicle * PER_MESSAGE * VEHICLES == MESSAGES * PER_MESSAGE
    return out


@dataclass
class Publisher:
    """Publishes the stream at QoS 1 from a persistent session, paced, surviving broker restarts."""
    url: str
    rate_msgs_s: float = 100.0
    sent: int = 0
    mids: list = field(default_factory=list)
    acked: set = field(default_factory=set)  # mids the broker acknowledged (PUBACK), also after a reconnect

    def run(self, messages: list[tuple[str, bytes]]) -> threading.Thread:
        t = MqttTarget.parse(self.url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fault-publisher",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(t.username, t.password)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.2, 2)
        self.client.on_publish = lambda c, u, mid, rc, p: self.acked.add(mid)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(t.host, t.port, clean_start=False, properties=props)
        self.client.loop_start()

        def pace():
            start = time.monotonic()
            for i, (topic, payload) in enumerate(messages):
                delay = start + i / self.rate_msgs_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                # While the broker is away paho keeps QoS 1 messages and sends them after reconnecting.
                self.mids.append(self.client.publish(topic, payload, qos=1).mid)
                self.sent += 1
        thread = threading.Thread(target=pace, daemon=True)
        thread.start()
        return thread

    def wait_acknowledged(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.acked.issuperset(self.mids):
            time.sleep(0.1)
        return len(self.acked.intersection(self.mids))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def stored(database_url: str) -> tuple[int, int, int]:
    """(rows, distinct (vehicle, ts) keys, dead letters); tolerates the database being down."""
    try:
        with psycopg.connect(database_url, connect_timeout=3) as conn:
            rows, keys = conn.execute("SELECT count(*), count(DISTINCT (vehicle_id, ts)) FROM battery_readings"
                                      ).fetchone()
            dead = conn.execute("SELECT count(*) FROM deadletters").fetchone()[0]
            return rows, keys, dead
    except psycopg.OperationalError:
        return -1, -1, -1


def wait_rows(database_url: str, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    rows = -1
    while time.monotonic() < deadline:
        rows = stored(database_url)[0]
        if rows >= at_least:
            return rows
        time.sleep(0.2)
    return rows


def report(name: str, sent_readings: int, totals: dict, database_url: str) -> tuple[int, int, int]:
    rows, keys, dead = stored(database_url)
    print(f"\n[{name}] readings sent={sent_readings} stored={rows} duplicated_in_db={rows - keys} "
          f"dead-lettered={dead} redelivered_and_skipped={totals.get('duplicates', 'n/a')} "
          f"(final ingest run: messages={totals.get('messages', 'n/a')})")
    return rows, keys, dead


def base_time() -> datetime:
    return (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
