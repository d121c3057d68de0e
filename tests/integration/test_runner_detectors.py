"""The detector runner over the real broker and database: warm-up after a restart keeps trends; the clock finds silence."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import orjson

from detectors.runner import COMMIT_LAG, DetectConfig, DetectorRunner
from tests.conftest import mosquitto_pub, wait_for

# Readings in the recent past: the contract rejects ts more than 24 h ahead, never the past.
START = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _publish_tires(stack, vid: str, hours: range, leak_per_day: float) -> None:
    rows = [{"ts": _iso(START + timedelta(minutes=30 * h)), "temp_c": 15.0,
             "pressure_kpa": {"front": 350.0, "rear": round(350.0 * (1 - leak_per_day * h / 48), 1)}}
            for h in hours]
    mosquitto_pub(stack, f"fleet/v1/{vid}/tires", orjson.dumps(rows))


def _stored(db, n: int):
    return lambda: db.execute("SELECT count(DISTINCT ts) FROM tire_readings").fetchone()[0] >= n


def _tickets(db, code: str) -> list:
    return db.execute("SELECT vehicle_id, predicted_failure_at FROM tickets WHERE fault_code = %s", (code,)).fetchall()


def test_a_restarted_runner_warms_up_from_the_database_and_keeps_the_trend(stack, db, ingest):
    mosquitto_pub(stack, "fleet/v1/EB-LEAK/meta", b'{"type": "ebike", "model": "urban-e1", "zone": "north"}',
                  retain=True)
    _publish_tires(stack, "EB-LEAK", range(0, 30), 0.03)  # 15 h of a 3 %/day leak: too short a trend alone
    wait_for(_stored(db, 30), 15)
    first = DetectorRunner(DetectConfig(stack.database_url, None, clock="data"))
    _drain(first, _conn(stack))
    assert _tickets(db, "TIRE_SLOW_LEAK") == []

    _publish_tires(stack, "EB-LEAK", range(30, 60), 0.03)  # 15 h more: a trend only with the first 15 h
    wait_for(_stored(db, 60), 15)
    fresh = DetectorRunner(DetectConfig(stack.database_url, None, clock="data", warmup=timedelta(days=5)))
    conn = _conn(stack)
    _drain(fresh, conn)
    [(vid, predicted)] = _tickets(db, "TIRE_SLOW_LEAK")
    assert vid == "EB-LEAK" and predicted is not None

    cold = DetectorRunner(DetectConfig(stack.database_url, None, clock="data", warmup=timedelta(0)))
    assert cold.warm_up(conn, datetime.now(timezone.utc), datetime.now(timezone.utc)) == 0


def test_the_clock_finds_a_silent_vehicle_but_not_one_that_said_it_went_offline(stack, db, ingest):
    for vid in ("EB-TALK", "EB-QUIET", "EB-AWAY"):
        mosquitto_pub(stack, f"fleet/v1/{vid}/meta", b'{"type": "ebike", "model": "urban-e1", "zone": "east"}',
                      retain=True)
    mosquitto_pub(stack, "fleet/v1/EB-AWAY/presence", b"offline", retain=True)

    def status(vid: str, minutes: range) -> None:
        rows = [{"ts": _iso(START + timedelta(minutes=m)), "lat": 52.5, "lon": 13.4, "speed_kmh": 0.0,
                 "odometer_km": 100.0, "state": "parked"} for m in minutes]
        mosquitto_pub(stack, f"fleet/v1/{vid}/status", orjson.dumps(rows))

    status("EB-QUIET", range(0, 60, 15))
    status("EB-AWAY", range(0, 60, 15))
    status("EB-TALK", range(0, 240, 15))  # the data clock runs on to 4 h: EB-QUIET has been silent for 3
    wait_for(lambda: db.execute("SELECT count(*) FROM status_readings").fetchone()[0] >= 24, 15)
    wait_for(lambda: db.execute("SELECT presence FROM vehicles WHERE vehicle_id = 'EB-AWAY'").fetchone()
             == ("offline",), 15)
    runner = DetectorRunner(DetectConfig(stack.database_url, None, clock="data"))
    _drain(runner, _conn(stack))
    assert [v for v, _ in _tickets(db, "VEHICLE_SILENT")] == ["EB-QUIET"]


def _drain(runner: DetectorRunner, conn) -> None:
    """Steps until the runner has seen everything stored (rows younger than the commit lag wait a step)."""
    time.sleep(COMMIT_LAG.total_seconds() + 0.2)
    while runner.step(conn):
        pass


def _conn(stack):
    import psycopg
    return psycopg.connect(stack.database_url)
