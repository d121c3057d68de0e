"""End to end over real connections: mosquitto_pub → broker → ingest → TimescaleDB → detectors → ticket over HTTP."""
import socket
import threading
import time
from datetime import datetime, timezone

import httpx
import orjson
import paho.mqtt.client as mqtt
import pytest
import uvicorn

from detectors.runner import DetectConfig, DetectorRunner
from fleet_api.app import create_app
from fleet_api.auth import create_token
from fleet_contract import mqtt as fleet_mqtt
from tests.conftest import mosquitto_pub, wait_for


@pytest.fixture
def detect(stack, db):
    runner = DetectorRunner(DetectConfig(stack.database_url, stack.mqtt, poll_s=0.2))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(10)


@pytest.fixture
def http_api(stack, db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(stack.database_url), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def ticket_listener(stack):
    """Everything the system publishes on fleet/v1/tickets/#."""
    got, ready = [], threading.Event()
    client = fleet_mqtt.make_client(stack.mqtt)
    client.on_connect = lambda c, u, f, rc, p: c.subscribe("fleet/v1/tickets/#", qos=1)
    client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
    client.on_message = lambda c, u, msg: got.append((msg.topic, orjson.loads(msg.payload)))
    fleet_mqtt.connect(client, stack.mqtt)
    client.loop_start()
    wait_for(ready.is_set, 10)
    yield got
    client.disconnect()
    client.loop_stop()


def overtemp_reading(ts: str) -> bytes:
    return orjson.dumps({"ts": ts, "soc_pct": 55, "voltage_v": 36.4, "current_a": 12.0, "temp_c": 80,
                         "cell_v_min": 3.6, "cell_v_max": 3.63})


def test_overtemp_reading_becomes_one_ticket_over_http(stack, db, ingest, detect, http_api, ticket_listener):
    token = create_token(db, "ops")
    headers = {"Authorization": f"Bearer {token}"}
    mosquitto_pub(stack, "fleet/v1/EB-1/meta", b'{"type": "ebike", "model": "urban-e1", "zone": "centre"}')
    time.sleep(0.5)
    ts = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sent = time.monotonic()
    mosquitto_pub(stack, "fleet/v1/EB-1/battery", overtemp_reading(ts))

    def tickets():
        r = httpx.get(f"{http_api}/api/v1/tickets", params={"vehicle_id": "EB-1"}, headers=headers)
        assert r.status_code == 200
        return r.json()["data"]

    [ticket] = wait_for(tickets, timeout=5, interval=0.1)
    assert time.monotonic() - sent < 5
    assert ticket["fault_code"] == "BATTERY_OVERTEMP" and ticket["severity"] == "critical"
    assert ticket["zone"] == "centre" and ticket["evidence"]["temp_c"] == 80.0
    wait_for(lambda: ticket_listener, 5)
    topic, published = ticket_listener[0]
    assert topic == "fleet/v1/tickets/centre" and published["id"] == ticket["id"]

    mosquitto_pub(stack, "fleet/v1/EB-1/battery", overtemp_reading(ts))  # the same reading again
    wait_for(lambda: ingest.totals["duplicates"] == 1, 5)
    time.sleep(2)  # past the runner's commit lag: a second ticket would show by now
    assert len(tickets()) == 1
    assert db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = 'EB-1'").fetchone()[0] == 1

    mosquitto_pub(stack, "fleet/v1/EB-1/battery", b"not json")
    def deadletters():
        body = httpx.get(f"{http_api}/api/v1/deadletters", headers=headers).json()
        return body["data"]
    [dl] = wait_for(deadletters, 5)
    assert dl["reason"] == "not_json" and dl["raw_text"] == "not json"
