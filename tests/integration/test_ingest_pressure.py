"""Ingest when the database is away or refuses data: memory bounded, nothing good lost, no stall."""
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import orjson
import paho.mqtt.client as mqtt
import pytest

from fleet_cli.services import free_port
from ingest.worker import IngestConfig, IngestWorker
from tests.conftest import mosquitto_pub, wait_for


def reading(ts: datetime, soc: float = 70.0) -> bytes:
    return orjson.dumps({"ts": ts.isoformat(), "soc_pct": soc, "voltage_v": 37.5, "current_a": 3.0, "temp_c": 22.0,
                         "cell_v_min": 3.74, "cell_v_max": 3.76})


@pytest.fixture
def worker_factory(stack, db, request):
    started = []

    def make(**overrides):
        config = IngestConfig(stack.database_url, stack.for_role("ingest").mqtt, shared=False,
                              client_id=f"test-{request.node.name}"[:60], maintenance_interval_s=None)
        worker = IngestWorker(replace(config, **overrides))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started.append((worker, thread))
        wait_for(worker.connected.is_set, 10)
        time.sleep(0.3)
        return worker
    yield make
    for worker, thread in started:
        worker.stop()
        thread.join(15)


def test_database_away_the_broker_holds_the_rest_then_everything_is_stored(stack, db, worker_factory):
    dead_db = stack.database_url.replace(f":{stack.database_url.rsplit(':', 1)[1].split('/')[0]}/",
                                         f":{free_port()}/")
    worker = worker_factory(database_url=dead_db, receive_max=200)
    t0 = datetime.now(timezone.utc) - timedelta(hours=1)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.username_pw_set(stack.mqtt.username, stack.mqtt.password)
    pub.connect(stack.mqtt.host, stack.mqtt.port)
    pub.loop_start()
    infos = [pub.publish("fleet/v1/BP-1/battery", reading(t0 + timedelta(seconds=i)), qos=1) for i in range(3000)]
    for info in infos:
        info.wait_for_publish(30)
    pub.disconnect()
    pub.loop_stop()
    time.sleep(2)
    assert worker.totals["messages"] == 0  # nothing committed while the database is away
    # ...and ingest took no more than Receive Maximum: the broker holds the other 2,800
    assert 0 < worker.totals["received"] <= 200
    print(f"\n[database away] published=3000 taken_by_ingest={worker.totals['received']}")
    worker.config.database_url = stack.database_url  # the database is back
    wait_for(lambda: db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = 'BP-1'").fetchone()[0]
             == 3000, 60)
    assert worker.totals["deadletters"] == 0


def test_a_message_the_database_refuses_is_dead_lettered_alone(stack, db, worker_factory):
    db.execute("ALTER TABLE battery_readings ADD CONSTRAINT test_refuse_66_6 CHECK (soc_pct <> 66.6)")
    try:
        worker = worker_factory(batch_age_s=1.0)  # the messages below land in one batch
        t0 = datetime.now(timezone.utc) - timedelta(hours=1)
        good = [reading(t0 + timedelta(seconds=i)) for i in range(3)]
        bad = reading(t0 + timedelta(seconds=10), soc=66.6)
        for payload in (good[0], bad, good[1], good[2]):
            mosquitto_pub(stack, "fleet/v1/RF-1/battery", payload)
        wait_for(lambda: db.execute("SELECT count(*) FROM deadletters").fetchone()[0] == 1, 15)
        wait_for(lambda: db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = 'RF-1'").fetchone()[0]
                 == 3, 15)
        reason, raw = db.execute("SELECT reason, raw FROM deadletters").fetchone()
        assert reason == "store_error" and bytes(raw) == bad
        mosquitto_pub(stack, "fleet/v1/RF-1/battery", reading(t0 + timedelta(seconds=20)))  # still running
        wait_for(lambda: db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = 'RF-1'").fetchone()[0]
                 == 4, 15)
    finally:
        db.execute("ALTER TABLE battery_readings DROP CONSTRAINT test_refuse_66_6")
