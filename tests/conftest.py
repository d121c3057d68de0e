"""Shared fixtures: one private TimescaleDB and one private Mosquitto for the whole test session."""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from fleet_cli.env import Endpoints
from fleet_cli.services import MQTT_ROLES, LocalServices
from fleet_contract.db import migrate

TABLES = ("battery_readings", "brake_readings", "tire_readings", "status_readings", "deadletters",
          "ticket_events", "tickets", "vehicles", "api_tokens", "detector_cursors")


@pytest.fixture(scope="session")
def local_services(tmp_path_factory) -> LocalServices:
    """The session's LocalServices (e.g. `add_vehicle_account` for a vehicle's own broker credentials)."""
    return LocalServices(tmp_path_factory.mktemp("fleet-state"))


@pytest.fixture(scope="session")
def stack(local_services) -> Endpoints:
    """A real TimescaleDB cluster and a real Mosquitto broker, started once per session, stopped at the end.

    Its mqtt_url is the `sim` gateway account (publishes for any vehicle, reads everything);
    `stack.for_role("ingest" | "detect" | "ops")` gives the other components' accounts.
    """
    services = local_services
    state_dir = services.state_dir
    state = services.up()
    migrate(state.database_url)
    yield Endpoints(state.database_url, state.mqtt_url, {r: state.mqtt_url_for(r) for r in MQTT_ROLES})
    services.down()
    pg_dir = services.load().pg_dir
    if pg_dir and not str(pg_dir).startswith(str(state_dir)):
        shutil.rmtree(pg_dir, ignore_errors=True)


@pytest.fixture
def db(stack) -> psycopg.Connection:
    """A connection to an emptied database."""
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        yield conn


def mosquitto_pub(stack: Endpoints, topic: str, message: bytes | str, qos: int = 1, retain: bool = False) -> None:
    """Publish with the real `mosquitto_pub` client, as any vehicle could."""
    target = stack.mqtt
    args = ["mosquitto_pub", "-h", target.host, "-p", str(target.port), "-q", str(qos), "-t", topic, "-s"]
    if retain:
        args.append("-r")
    if target.username:
        args += ["-u", target.username, "-P", target.password]
    data = message.encode() if isinstance(message, str) else message
    subprocess.run(args, input=data, check=True, timeout=10)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1):
    """Poll until predicate() is truthy; returns its value, or fails the test at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def ingest(stack, db, request):
    """A running ingest worker (its own persistent MQTT session), stopped after the test."""
    from ingest.worker import IngestConfig, IngestWorker

    worker = IngestWorker(IngestConfig(stack.database_url, stack.for_role("ingest").mqtt, client_id=f"test-{request.node.name}"[:60],
                                       shared=False))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    wait_for(worker.connected.is_set, 10)
    time.sleep(0.2)  # the subscription is sent right after CONNACK
    yield worker
    worker.stop()
    thread.join(10)
