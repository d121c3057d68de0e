"""`fleet eval --through-broker`: the same suite through MQTT, ingest, TimescaleDB and the detector runner.

The run gets a database of its own on the configured server (created, migrated, dropped at the end),
its own ingest worker (a private, non-shared subscription) and runner (on the data clock: readings
carry simulated times). Readings are published at QoS 1 as fast as the broker takes them; when the
database has stopped growing and the runner has caught up, the tickets are read back. A ticket's
simulated opening time is its `detected_from` (the ts of the reading that showed the fault; the
runner opens it within seconds of that reading being stored). Retained meta and presence messages
of the simulated fleet are cleared from the broker at the end.

The runner knows no service history (the contract has none), so SERVICE_DUE counts from the first
reading seen here; the in-process path uses the simulator's service history.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

import psycopg
from psycopg.conninfo import make_conninfo

from fleet_contract.db import migrate
from fleet_contract.settings import MqttTarget
from simulator.engine import Simulation
from simulator.output import publish_live

from ..runner import DetectConfig, DetectorRunner
from .book import OpenedTicket
from .fastpath import ReadingIndex, RunResult

READING_TABLES = ("battery_readings", "brake_readings", "tire_readings", "status_readings")


def _count(conn: psycopg.Connection) -> int:
    return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in READING_TABLES)


def _caught_up(conn: psycopg.Connection) -> bool:
    newest = max((conn.execute(f"SELECT max(received_at) FROM {t}").fetchone()[0] for t in READING_TABLES),
                 key=lambda x: (x is not None, x))
    row = conn.execute("SELECT received_to FROM detector_cursors WHERE name = 'runner'").fetchone()
    return newest is None or (row is not None and row[0] >= newest)


def run_through_broker(sim: Simulation, database_url: str, publish_to: MqttTarget, ingest_from: MqttTarget,
                       progress: Callable[[float], None] | None = None, settle_s: float = 3.0,
                       timeout_s: float = 3600.0) -> RunResult:
    from ingest.worker import IngestConfig, IngestWorker

    name = f"fleet_eval_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(database_url, dbname=name)
    threads: list[threading.Thread] = []
    worker = runner = None
    index = ReadingIndex(sim.config.faults if isinstance(sim.config.faults, list) else [])
    try:
        migrate(url)
        worker = IngestWorker(IngestConfig(url, ingest_from, client_id=f"eval-ingest-{name}"[:60], shared=False))
        runner = DetectorRunner(DetectConfig(url, None, poll_s=0.2, warmup=sim.config.duration, clock="data"))
        threads = [threading.Thread(target=worker.run, daemon=True), threading.Thread(target=runner.run, daemon=True)]
        for t in threads:
            t.start()
        if not worker.connected.wait(30):
            raise ConnectionError("the eval's ingest worker could not connect to the broker")
        time.sleep(0.3)  # the subscription goes out right after CONNACK
        start = sim.config.start

        def stream():
            for msg in sim.messages():
                index.add(msg)
                if progress is not None:
                    progress((msg.sent_at - start).total_seconds())
                yield msg

        publish_live(stream(), publish_to, None, qos=1, progress=False)
        deadline = time.monotonic() + timeout_s
        with psycopg.connect(url, autocommit=True) as conn:
            last, stable_since = -1, time.monotonic()
            while time.monotonic() < deadline:
                n = _count(conn)
                if n != last:
                    last, stable_since = n, time.monotonic()
                elif time.monotonic() - stable_since >= settle_s and _caught_up(conn):
                    break
                time.sleep(0.2)
            else:
                raise TimeoutError(f"ingest and detectors did not settle within {timeout_s} s")
            rows = conn.execute(
                "SELECT vehicle_id, fault_code, detected_from, detector, confidence, predicted_failure_at, evidence, id "
                "FROM tickets ORDER BY detected_from, id").fetchall()
        tickets = [OpenedTicket(vid, code, seen, seen, det, conf, pred, ev or {}, tid)
                   for vid, code, seen, det, conf, pred, ev, tid in rows]
        return RunResult(sim.truth, tickets, sim.n, sim.config.duration.total_seconds() / 86400, last,
                         index.times(), start + sim.config.duration)
    finally:
        for part in (worker, runner):
            if part is not None:
                part.stop()
        for t in threads:
            t.join(30)
        _clear_retained(sim, publish_to)
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _clear_retained(sim: Simulation, target: MqttTarget) -> None:
    """Empty retained payloads delete the fleet's retained meta and presence from the broker."""
    from simulator.engine import Message
    msgs = [Message(sim.config.start, f"fleet/v1/{v.vehicle_id}/{kind}", b"", 1, True)
            for v in sim.vehicles for kind in ("meta", "presence")]
    try:
        publish_live(msgs, target, None, progress=False)
    except (ConnectionError, OSError):
        pass  # best effort: the run's results stand either way
