"""Retention and downsampling: hourly rollups per vehicle and component, raw readings kept N days.

Owns the rollup tables of migration 003 and the life span of the raw hypertables. The server's
TimescaleDB license is detected once: with `apache` (Debian's build) raw chunks are dropped here,
on a timer, with `drop_chunks`; with `timescale` the native retention and compression policies do
that job. The rollups are this module's own tables on both builds (one schema for readers), refreshed
for closed hours; a reading that arrives late makes its hour be recomputed. Several ingest processes
may run this: an advisory lock lets one of them do it at a time.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg

from fleet_contract.db import timescale_license

log = logging.getLogger("fleet.retention")
LOCK_ID = 7_262_025  # advisory lock: one maintainer at a time
HOUR = timedelta(hours=1)
RAW_TABLES = ("battery_readings", "brake_readings", "tire_readings", "status_readings")

# raw table -> (rollup table, group columns besides the bucket, aggregate select list)
ROLLUPS = {
    "battery_readings": ("battery_hourly", ("vehicle_id",),
                         "count(*), avg(soc_pct), min(soc_pct), max(soc_pct), avg(voltage_v), avg(current_a), "
                         "avg(temp_c), max(temp_c), max(cell_v_max - cell_v_min), max(cycles)"),
    "brake_readings": ("brake_hourly", ("vehicle_id",),
                       "count(*), min(pad_front_mm), min(pad_rear_mm), avg(decel_mps2), avg(lever_pct), "
                       "max(brake_temp_c)"),
    "tire_readings": ("tire_hourly", ("vehicle_id", "position"),
                      "count(*), avg(pressure_kpa), min(pressure_kpa), max(pressure_kpa), avg(temp_c)"),
    "status_readings": ("status_hourly", ("vehicle_id",),
                        "count(*), avg(speed_kmh), max(speed_kmh), max(odometer_km), "
                        "count(*) FILTER (WHERE state = 'riding')"),
}


@dataclass
class RetentionConfig:
    raw_days: int = 90
    interval_s: float = 300.0  # how often the timer runs


def hour_floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


NEVER = datetime.min.replace(tzinfo=timezone.utc)


def _hours_to_refresh(conn: psycopg.Connection, raw: str, received_from: datetime, received_to: datetime,
                      hours_from: datetime, hours_to: datetime) -> list[datetime]:
    """Closed hours (< hours_to) that got readings since the last run, and every hour that closed since."""
    rows = conn.execute(
        f"SELECT DISTINCT time_bucket('1 hour', ts) FROM {raw} "
        "WHERE received_at > %s AND received_at <= %s AND ts < %s", (received_from, received_to, hours_to))
    hours = {r[0] for r in rows}
    if hours_from == NEVER:  # first run: from the oldest reading there is
        first = conn.execute(f"SELECT min(ts) FROM {raw}").fetchone()[0]
        hours_from = hour_floor(first) if first else hours_to
    h = hours_from
    while h < hours_to:
        hours.add(h)
        h += HOUR
    return sorted(hours)


def refresh_rollups(conn: psycopg.Connection, now: datetime | None = None) -> int:
    """Recompute the rollup rows of every hour that changed or closed since the last run; returns hours done."""
    now = now or conn.execute("SELECT now()").fetchone()[0]
    hours_to = hour_floor(now)
    done = 0
    for raw, (rollup, groups, aggregates) in ROLLUPS.items():
        with conn.transaction():
            prog = conn.execute("SELECT received_to, hours_to FROM rollup_progress WHERE name = %s FOR UPDATE",
                                (rollup,)).fetchone()
            received_from, hours_from = prog if prog else (NEVER, NEVER)
            # Readings committed in the last moments may carry an earlier received_at (set at their insert):
            # a margin keeps a transaction in flight from slipping under the watermark.
            received_to = now - timedelta(seconds=30)
            hours = _hours_to_refresh(conn, raw, received_from, received_to, hours_from, hours_to)
            cols = ", ".join(groups)
            for h in hours:
                conn.execute(f"DELETE FROM {rollup} WHERE bucket = %s", (h,))
                conn.execute(f"INSERT INTO {rollup} ({cols}, bucket, n, "
                             f"{_value_columns(conn, rollup)}) "
                             f"SELECT {cols}, %s, {aggregates} FROM {raw} WHERE ts >= %s AND ts < %s GROUP BY {cols}",
                             (h, h, h + HOUR))
            conn.execute("INSERT INTO rollup_progress (name, received_to, hours_to) VALUES (%s, %s, %s) "
                         "ON CONFLICT (name) DO UPDATE SET received_to = EXCLUDED.received_to, "
                         "hours_to = EXCLUDED.hours_to",
                         (rollup, max(received_to, received_from), max(hours_to, hours_from)))
            done += len(hours)
    return done


_VALUE_COLUMNS: dict[str, str] = {}


def _value_columns(conn: psycopg.Connection, rollup: str) -> str:
    """The rollup's aggregate columns in table order (after the group columns, bucket and n)."""
    if rollup not in _VALUE_COLUMNS:
        names = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (rollup,))]
        _VALUE_COLUMNS[rollup] = ", ".join(names[names.index("n") + 1:])
    return _VALUE_COLUMNS[rollup]


def drop_old_raw(conn: psycopg.Connection, raw_days: int, now: datetime | None = None) -> int:
    """Drop raw chunks wholly older than raw_days (their hours are rolled up first); returns chunks dropped."""
    now = now or conn.execute("SELECT now()").fetchone()[0]
    cutoff = now - timedelta(days=raw_days)
    dropped = 0
    for raw in RAW_TABLES:
        rows = conn.execute("SELECT drop_chunks(%s::regclass, older_than => %s::timestamptz)", (raw, cutoff))
        dropped += len(rows.fetchall())
    return dropped


def ensure_native_policies(conn: psycopg.Connection, raw_days: int) -> None:
    """`timescale` license: the server drops and compresses raw chunks itself (not testable on apache builds)."""
    for raw in RAW_TABLES:
        segment = "vehicle_id, position" if raw == "tire_readings" else "vehicle_id"
        conn.execute(f"ALTER TABLE {raw} SET (timescaledb.compress, timescaledb.compress_segmentby = '{segment}')")
        conn.execute("SELECT add_compression_policy(%s::regclass, interval '7 days', if_not_exists => true)", (raw,))
        conn.execute("SELECT remove_retention_policy(%s::regclass, if_exists => true)", (raw,))
        conn.execute("SELECT add_retention_policy(%s::regclass, %s::interval)", (raw, timedelta(days=raw_days)))


class Maintenance:
    """The timer: refresh rollups, then (apache) drop old raw chunks, every interval_s, in one process at a time."""

    def __init__(self, database_url: str, config: RetentionConfig | None = None):
        self.database_url = database_url
        self.config = config or RetentionConfig()
        self.stop_event = threading.Event()
        self.license: str | None = None

    def run_once(self, now: datetime | None = None) -> dict | None:
        """One round; None when another process holds the lock."""
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_ID,)).fetchone()[0]:
                return None
            try:
                if self.license is None:
                    self.license = timescale_license(conn)
                    if self.license == "timescale":
                        ensure_native_policies(conn, self.config.raw_days)
                out = {"license": self.license, "hours_refreshed": refresh_rollups(conn, now), "chunks_dropped": 0}
                if self.license != "timescale":
                    out["chunks_dropped"] = drop_old_raw(conn, self.config.raw_days, now)
                return out
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))

    def run(self) -> None:
        while not self.stop_event.wait(self.config.interval_s):
            try:
                out = self.run_once()
                if out and (out["hours_refreshed"] or out["chunks_dropped"]):
                    log.info("retention round", extra=out)
            except psycopg.Error as exc:  # the database may be away; the next round catches up
                log.warning("retention round failed", extra={"error": str(exc)[:200]})
            except Exception:  # noqa: BLE001 - a bug here must not end the timer (or ingest) silently
                log.exception("retention round crashed")

    def stop(self) -> None:
        self.stop_event.set()
