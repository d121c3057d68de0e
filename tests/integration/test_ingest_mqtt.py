"""Ingest over a real broker into a real TimescaleDB, published with the real `mosquitto_pub` client."""
from datetime import datetime, timedelta, timezone

import orjson

from tests.conftest import mosquitto_pub, wait_for


def battery(ts: datetime, **kw):
    doc = {"ts": ts.isoformat().replace("+00:00", "Z"), "soc_pct": 70.0, "voltage_v": 37.5, "current_a": 3.0,
           "temp_c": 22.0, "cell_v_min": 3.74, "cell_v_max": 3.76}
    doc.update(kw)
    return orjson.dumps(doc)


def count(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def test_single_array_duplicate_and_malformed(stack, db, ingest):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    mosquitto_pub(stack, "fleet/v1/EB-7/battery", battery(t0))
    array = b"[" + b",".join(battery(t0 + timedelta(seconds=30 * i)) for i in range(1, 6)) + b"]"
    mosquitto_pub(stack, "fleet/v1/EB-7/battery", array)
    mosquitto_pub(stack, "fleet/v1/EB-7/battery", battery(t0))  # the same reading again
    mosquitto_pub(stack, "fleet/v1/EB-7/battery", b"not json")
    mosquitto_pub(stack, "fleet/v1/EB-7/engine", battery(t0))
    wait_for(lambda: count(db, "SELECT count(*) FROM deadletters") == 2)
    wait_for(lambda: ingest.totals["duplicates"] == 1)
    assert count(db, "SELECT count(*) FROM battery_readings WHERE vehicle_id = 'EB-7'") == 6
    rows = db.execute("SELECT topic, reason, raw FROM deadletters ORDER BY id").fetchall()
    assert [(t, r) for t, r, _ in rows] == [("fleet/v1/EB-7/battery", "not_json"), ("fleet/v1/EB-7/engine", "bad_topic")]
    assert bytes(rows[0][2]) == b"not json"
    assert db.execute("SELECT last_seen FROM vehicles WHERE vehicle_id = 'EB-7'").fetchone()[0] == t0 + timedelta(seconds=150)


def test_bad_reading_in_an_array_loses_nothing_beside_it(stack, db, ingest):
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    good = [battery(t0 + timedelta(seconds=i)) for i in range(3)]
    bad = battery(t0 + timedelta(seconds=9), soc_pct="full")
    mosquitto_pub(stack, "fleet/v1/EB-8/battery", b"[" + b",".join([good[0], bad, good[1], good[2]]) + b"]")
    wait_for(lambda: count(db, "SELECT count(*) FROM deadletters") == 1)
    wait_for(lambda: count(db, "SELECT count(*) FROM battery_readings WHERE vehicle_id = 'EB-8'") == 3)
    reason, detail = db.execute("SELECT reason, detail FROM deadletters").fetchone()
    assert reason == "wrong_type" and detail.startswith("[1]")


def test_every_component_meta_presence_and_implausible(stack, db, ingest):
    ts = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    mosquitto_pub(stack, "fleet/v1/CA-1/meta", b'{"type": "car", "model": "city-c1", "zone": "south", '
                  b'"last_service_at": "2026-09-01T08:00:00Z", "last_service_km": 12040.5}', retain=True)
    mosquitto_pub(stack, "fleet/v1/CA-1/presence", b"online", retain=True)
    mosquitto_pub(stack, "fleet/v1/CA-1/brakes", orjson.dumps({"ts": ts, "pad_front_mm": 9.5, "pad_rear_mm": 9.9,
                                                                "decel_mps2": 6.1, "lever_pct": 80}))
    mosquitto_pub(stack, "fleet/v1/CA-1/tires", orjson.dumps(
        {"ts": ts, "pressure_kpa": {"fl": 250, "fr": 249, "rl": 251, "rr": 1500}, "temp_c": 14}))
    mosquitto_pub(stack, "fleet/v1/CA-1/status", orjson.dumps(
        {"ts": ts, "lat": 52.5, "lon": 13.4, "speed_kmh": 0, "odometer_km": 1234.5, "state": "parked"}))
    mosquitto_pub(stack, "fleet/v1/CA-1/battery", battery(datetime.fromisoformat(ts), temp_c=900.0))
    wait_for(lambda: count(db, "SELECT count(*) FROM status_readings") == 1)
    wait_for(lambda: db.execute("SELECT zone FROM vehicles WHERE vehicle_id = 'CA-1'").fetchone() == ("south",))
    wait_for(lambda: count(db, "SELECT count(*) FROM battery_readings") == 1)
    assert count(db, "SELECT count(*) FROM brake_readings") == 1
    assert count(db, "SELECT count(*) FROM tire_readings") == 4
    assert db.execute("SELECT implausible FROM tire_readings WHERE position = 'rr'").fetchone()[0] == ["pressure_kpa.rr"]
    assert db.execute("SELECT temp_c, implausible FROM battery_readings").fetchone() == (900.0, ["temp_c"])
    assert db.execute("SELECT presence FROM vehicles WHERE vehicle_id = 'CA-1'").fetchone()[0] == "online"
    service = db.execute("SELECT last_service_at, last_service_km FROM vehicles WHERE vehicle_id = 'CA-1'").fetchone()
    assert service == (datetime(2026, 9, 1, 8, tzinfo=timezone.utc), 12040.5)
