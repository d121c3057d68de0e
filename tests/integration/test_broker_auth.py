"""The local broker's credentials and per-vehicle ACL, against the real Mosquitto and ingest (docs/security.md)."""
import subprocess
import time
from datetime import datetime, timedelta, timezone

import orjson
import paho.mqtt.client as mqtt
import pytest

from fleet_contract.settings import MqttTarget
from tests.conftest import wait_for


def reading(ts: datetime) -> bytes:
    return orjson.dumps({"ts": ts.isoformat(), "soc_pct": 70.0, "voltage_v": 37.5, "current_a": 3.0, "temp_c": 22.0,
                         "cell_v_min": 3.74, "cell_v_max": 3.76})


def pub(stack, user: str, password: str, topic: str, payload: bytes, version: str = "5"):
    t = stack.mqtt
    return subprocess.run(["mosquitto_pub", "-h", t.host, "-p", str(t.port), "-u", user, "-P", password, "-q", "1",
                           "-V", version, "-t", topic, "-s"], input=payload, capture_output=True, timeout=10)


@pytest.fixture(scope="module")
def eb1_password(local_services, stack):
    return local_services.add_vehicle_account("EB-1")


def count(db, vehicle_id):
    return db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = %s", (vehicle_id,)).fetchone()[0]


def test_a_vehicle_publishes_under_its_own_id(stack, db, ingest, eb1_password):
    ts = datetime.now(timezone.utc) - timedelta(minutes=1)
    r = pub(stack, "EB-1", eb1_password, "fleet/v1/EB-1/battery", reading(ts))
    assert r.returncode == 0, r.stderr
    wait_for(lambda: count(db, "EB-1") == 1)


def test_a_spoofed_publish_is_refused_and_nothing_is_stored(stack, db, ingest, eb1_password):
    ts = datetime.now(timezone.utc) - timedelta(minutes=1)
    spoof5 = pub(stack, "EB-1", eb1_password, "fleet/v1/EB-2/battery", reading(ts))
    assert b"Not authorized" in spoof5.stderr  # MQTT 5: PUBACK with reason 135
    spoof311 = pub(stack, "EB-1", eb1_password, "fleet/v1/EB-2/battery", reading(ts + timedelta(seconds=1)),
                   version="mqttv311")
    assert spoof311.returncode == 0  # MQTT 3.1.1 has no way to say no: the broker drops it silently
    # A legitimate publish after both: once it is stored, the spoofed ones would have been too.
    assert pub(stack, "EB-1", eb1_password, "fleet/v1/EB-1/battery", reading(ts)).returncode == 0
    wait_for(lambda: count(db, "EB-1") == 1)
    assert count(db, "EB-2") == 0
    assert db.execute("SELECT count(*) FROM deadletters").fetchone()[0] == 0


def test_wrong_password_and_anonymous_are_refused(stack):
    t = stack.mqtt
    wrong = pub(stack, "ingest", "not-the-password", "fleet/v1/EB-1/battery", b"{}")
    assert wrong.returncode != 0 and b"Not authorized" in wrong.stderr
    anon = subprocess.run(["mosquitto_pub", "-h", t.host, "-p", str(t.port), "-t", "fleet/v1/EB-1/battery",
                           "-m", "{}"], capture_output=True, timeout=10)
    assert anon.returncode != 0


@pytest.mark.parametrize("role, topic, allowed", [
    ("ingest", "fleet/v1/EB-5/battery", False),   # ingest only reads
    ("detect", "fleet/v1/EB-5/battery", False),   # detect speaks on ticket topics only
    ("detect", "fleet/v1/tickets/north", True),
    ("ops", "fleet/v1/tickets/north", False),     # ops reads only
    ("sim", "fleet/v1/EB-5/battery", True),       # the gateway publishes for every vehicle
])
def test_service_accounts_publish_only_where_their_role_allows(stack, role, topic, allowed):
    t = MqttTarget.parse(stack.for_role(role).mqtt_url)
    r = pub(stack, t.username, t.password, topic, b"x")
    assert (b"Not authorized" not in r.stderr) == allowed, r.stderr


def test_ingest_reads_through_the_shared_subscription_and_vehicles_read_nothing(stack, eb1_password):
    got = {}

    def subscriber(user, password, topic_filter):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        c.username_pw_set(user, password)
        got[user] = []
        c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(topic_filter, qos=1)
        c.on_message = lambda cl, u, m: got[user].append(m.topic)
        c.connect(stack.mqtt.host, stack.mqtt.port)
        c.loop_start()
        return c

    ing = MqttTarget.parse(stack.for_role("ingest").mqtt_url)
    clients = [subscriber("ingest", ing.password, "$share/authcheck/fleet/v1/#"),
               subscriber("EB-1", eb1_password, "fleet/v1/#")]
    try:
        time.sleep(0.5)
        assert pub(stack, "EB-1", eb1_password, "fleet/v1/EB-1/presence", b"online").returncode == 0
        wait_for(lambda: "fleet/v1/EB-1/presence" in got["ingest"], 5)
        assert got["EB-1"] == []
    finally:
        for c in clients:
            c.disconnect()
            c.loop_stop()
