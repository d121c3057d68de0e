"""Retention and hourly rollups on this machine's TimescaleDB build (apache: own rollups, drop_chunks)."""
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from fleet_contract.db import timescale_license
from ingest.retention import Maintenance, RetentionConfig, drop_old_raw, refresh_rollups

ROLLUP_TABLES = "battery_hourly, brake_hourly, tire_hourly, status_hourly, rollup_progress"


@pytest.fixture
def clean(db):
    db.execute(f"TRUNCATE {ROLLUP_TABLES}")
    yield db
    db.execute(f"TRUNCATE {ROLLUP_TABLES}")


def battery(db, vid, ts, soc, temp, received_at=None):
    db.execute("INSERT INTO battery_readings (vehicle_id, ts, received_at, soc_pct, voltage_v, current_a, temp_c, "
               "cell_v_min, cell_v_max, cycles) VALUES (%s, %s, coalesce(%s, now()), %s, 37.0, 2.0, %s, 3.70, 3.74, 5)",
               (vid, ts, received_at, soc, temp))


def test_hourly_rollups_hold_the_right_values_and_late_readings_recompute_their_hour(clean):
    db = clean
    now = datetime(2026, 11, 28, 10, 20, tzinfo=timezone.utc)
    h8, h9 = datetime(2026, 11, 28, 8, tzinfo=timezone.utc), datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    old = now - timedelta(minutes=5)
    for m, soc, temp in ((0, 80.0, 20.0), (15, 70.0, 30.0), (59, 60.0, 25.0)):
        battery(db, "EB-1", h9 + timedelta(minutes=m), soc, temp, old)
    battery(db, "EB-2", h9 + timedelta(minutes=1), 50.0, 10.0, old)
    battery(db, "EB-1", now - timedelta(minutes=10), 55.0, 22.0, old)  # the open hour: not rolled up yet
    db.execute("INSERT INTO tire_readings (vehicle_id, ts, position, received_at, pressure_kpa, temp_c) VALUES "
               "('EB-1', %s, 'front', %s, 300, 10), ('EB-1', %s, 'front', %s, 310, 12), "
               "('EB-1', %s, 'rear', %s, 290, 11)", (h9, old, h9 + timedelta(minutes=30), old, h9, old))
    db.execute("INSERT INTO status_readings (vehicle_id, ts, received_at, lat, lon, speed_kmh, odometer_km, state) "
               "VALUES ('EB-1', %s, %s, 52, 13, 20, 100, 'riding'), ('EB-1', %s, %s, 52, 13, 0, 101, 'parked')",
               (h9, old, h9 + timedelta(minutes=5), old))

    assert refresh_rollups(db, now) >= 2
    rows = db.execute("SELECT vehicle_id, bucket, n, soc_pct_avg, soc_pct_min, soc_pct_max, temp_c_max, "
                      "cell_spread_max, cycles_max FROM battery_hourly ORDER BY vehicle_id, bucket").fetchall()
    assert rows == [("EB-1", h9, 3, 70.0, 60.0, 80.0, 30.0, pytest.approx(0.04), 5),
                    ("EB-2", h9, 1, 50.0, 50.0, 50.0, 10.0, pytest.approx(0.04), 5)]
    assert db.execute("SELECT position, n, pressure_kpa_avg, pressure_kpa_min, pressure_kpa_max FROM tire_hourly "
                      "ORDER BY position").fetchall() == [("front", 2, 305.0, 300.0, 310.0), ("rear", 1, 290.0, 290.0, 290.0)]
    assert db.execute("SELECT n, speed_kmh_avg, speed_kmh_max, odometer_km_max, riding_n FROM status_hourly"
                      ).fetchone() == (2, 10.0, 20.0, 101.0, 1)

    # A vehicle flushes its buffer: a reading for 09:00-10:00 and one for 08:00-09:00 arrive late.
    late = now + timedelta(minutes=1)
    battery(db, "EB-1", h9 + timedelta(minutes=30), 90.0, 40.0, late)
    battery(db, "EB-1", h8 + timedelta(minutes=30), 95.0, 15.0, late)
    refresh_rollups(db, now + timedelta(minutes=2))  # same hour: nothing closed, but late readings count
    assert db.execute("SELECT bucket, n, soc_pct_max, temp_c_max FROM battery_hourly WHERE vehicle_id = 'EB-1' "
                      "ORDER BY bucket").fetchall() == [(h8, 1, 95.0, 15.0), (h9, 4, 90.0, 40.0)]
    assert refresh_rollups(db, now + timedelta(minutes=3)) == 0  # nothing new: nothing recomputed

    refresh_rollups(db, now + timedelta(hours=1))  # 10:00-11:00 closed
    assert db.execute("SELECT n, soc_pct_avg FROM battery_hourly WHERE vehicle_id = 'EB-1' AND bucket = %s",
                      (h9 + timedelta(hours=1),)).fetchone() == (1, 55.0)


def test_old_raw_chunks_are_dropped_and_their_rollups_kept(clean, stack):
    db = clean
    assert timescale_license(db) == "apache"  # the build these machines have: the own-timer path is the one tested
    now = datetime.now(timezone.utc)
    ancient = (now - timedelta(days=100)).replace(minute=5, second=0, microsecond=0)
    recent = now - timedelta(days=3)
    for ts in (ancient, ancient + timedelta(minutes=10), recent):
        battery(db, "EB-9", ts, 50.0, 20.0)
    out = Maintenance(stack.database_url, RetentionConfig(raw_days=90)).run_once()
    assert out["license"] == "apache" and out["chunks_dropped"] >= 1
    assert db.execute("SELECT count(*) FROM battery_readings WHERE vehicle_id = 'EB-9'").fetchone()[0] == 1
    kept = db.execute("SELECT bucket, n FROM battery_hourly WHERE vehicle_id = 'EB-9' ORDER BY bucket").fetchall()
    assert [n for _, n in kept] == [2, 1]  # the dropped hour survives as its rollup
    assert kept[0][0] <= ancient < kept[0][0] + timedelta(hours=1)
    assert drop_old_raw(db, 90) == 0  # nothing more to drop


def test_one_maintainer_at_a_time(clean, stack):
    with psycopg.connect(stack.database_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(7262025)")
        assert Maintenance(stack.database_url).run_once() is None
        other.execute("SELECT pg_advisory_unlock(7262025)")
    assert Maintenance(stack.database_url).run_once() is not None
