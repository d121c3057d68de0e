"""Durable, idempotent writes of a batch: binary COPY into staging tables, then INSERT … ON CONFLICT DO NOTHING.

One transaction a batch: readings, vehicles seen, meta, presence and dead letters
commit together, so a message is acknowledged only when all it produced is stored.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from fleet_contract.payload import Meta, Reading

RAW_CAP = 4096  # bytes of a rejected message kept in the dead-letter store

# component -> (table, value columns, their types)
TABLES = {
    "battery": ("battery_readings",
                ("soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min", "cell_v_max", "cycles"),
                ("float8",) * 6 + ("int4",)),
    "brakes": ("brake_readings",
               ("pad_front_mm", "pad_rear_mm", "decel_mps2", "lever_pct", "brake_temp_c"),
               ("float8",) * 5),
    "status": ("status_readings",
               ("lat", "lon", "speed_kmh", "odometer_km", "state"),
               ("float8",) * 4 + ("text",)),
}
TIRE_COLUMNS = ("vehicle_id", "ts", "position", "seq", "pressure_kpa", "temp_c", "implausible")
TIRE_TYPES = ("text", "timestamptz", "text", "int8", "float8", "float8", "text[]")


def clean_text(text: str, limit: int = 1000) -> str:
    """Text PostgreSQL accepts: no NUL character, no lone surrogate, capped."""
    return text[:limit].replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")


@dataclass
class DeadLetter:
    topic: str
    reason: str
    detail: str
    raw: bytes
    received_at: datetime


@dataclass
class Batch:
    readings: list[Reading] = field(default_factory=list)
    deadletters: list[DeadLetter] = field(default_factory=list)
    metas: dict[str, Meta] = field(default_factory=dict)
    presence: dict[str, tuple[str, datetime]] = field(default_factory=dict)


@dataclass
class Written:
    stored: dict[str, int] = field(default_factory=dict)  # component -> rows newly stored
    duplicates: int = 0


_STAGED: "weakref.WeakKeyDictionary[psycopg.Connection, set[str]]" = weakref.WeakKeyDictionary()  # per session


def _staging(conn: psycopg.Connection, table: str) -> str:
    name = f"stage_{table}"
    made = _STAGED.setdefault(conn, set())
    if name not in made:  # once a session: a temp table lives as long as the connection
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        made.add(name)
    return name


def _copy_insert(conn: psycopg.Connection, table: str, columns: tuple, types: tuple, rows: list, key: str,
                 n_keys: int) -> int:
    cols = ", ".join(columns)
    if n_keys == len(rows):
        # Optimistic: straight into the hypertable, as fast as COPY goes. A key already stored (a
        # redelivery) fails the COPY; the savepoint takes it back and the idempotent path below runs.
        try:
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(list(types))
                    for row in rows:
                        copy.write_row(row)
                return len(rows)
        except psycopg.errors.UniqueViolation:
            pass
    stage = _staging(conn, table)
    with conn.cursor() as cur:
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
        if n_keys == len(rows):
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING")
        else:
            # The batch repeats a reading (ON CONFLICT cannot touch a row twice in one statement): one copy wins.
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT DISTINCT ON ({key}) {cols} FROM {stage} "
                        f"ORDER BY {key} ON CONFLICT DO NOTHING")
        return cur.rowcount


def write_batch(conn: psycopg.Connection, batch: Batch) -> Written:
    """Store a batch in one transaction (the caller commits)."""
    out = Written()
    by_component: dict[str, list[Reading]] = {}
    for r in batch.readings:
        by_component.setdefault(r.component, []).append(r)
    for component, readings in by_component.items():
        if component == "tires":
            rows = [(r.vehicle_id, r.ts, pos, r.seq, kpa, r.values.get("temp_c"), r.implausible or None)
                    for r in readings for pos, kpa in r.values["pressure_kpa"].items()]
            n_rows = len(rows)
            n_keys = len({(r[0], r[1], r[2]) for r in rows})
            stored = _copy_insert(conn, "tire_readings", TIRE_COLUMNS, TIRE_TYPES, rows, "vehicle_id, ts, position",
                                  n_keys)
        else:
            table, value_cols, value_types = TABLES[component]
            rows = [(r.vehicle_id, r.ts, r.seq, *map(r.values.get, value_cols), r.implausible or None)
                    for r in readings]
            n_rows = len(rows)
            n_keys = len({(r[0], r[1]) for r in rows})
            stored = _copy_insert(conn, table, ("vehicle_id", "ts", "seq", *value_cols, "implausible"),
                                  ("text", "timestamptz", "int8", *value_types, "text[]"), rows, "vehicle_id, ts",
                                  n_keys)
        out.stored[component] = stored
        out.duplicates += n_rows - stored
    _touch_vehicles(conn, batch)
    if batch.deadletters:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO deadletters (received_at, topic, reason, detail, raw) VALUES (%s, %s, %s, %s, %s)",
                [(d.received_at, clean_text(d.topic, 512), d.reason, clean_text(d.detail), d.raw[:RAW_CAP]) for d in batch.deadletters],
            )
    return out


def _touch_vehicles(conn: psycopg.Connection, batch: Batch) -> None:
    last: dict[str, datetime] = {}
    for r in batch.readings:
        if r.vehicle_id not in last or r.ts > last[r.vehicle_id]:
            last[r.vehicle_id] = r.ts
    ids = sorted(set(last) | set(batch.metas) | set(batch.presence))  # sorted: no deadlock between workers
    if not ids:
        return
    conn.execute(
        "INSERT INTO vehicles (vehicle_id, last_seen) SELECT * FROM unnest(%s::text[], %s::timestamptz[]) "
        "ON CONFLICT (vehicle_id) DO UPDATE SET last_seen = GREATEST(vehicles.last_seen, EXCLUDED.last_seen)",
        (ids, [last.get(v) for v in ids]),
    )
    if batch.metas:
        with conn.cursor() as cur:
            cur.executemany("UPDATE vehicles SET type = %s, model = %s, zone = %s, last_service_at = %s, "
                            "last_service_km = %s WHERE vehicle_id = %s",
                            [(m.type, m.model, m.zone, m.last_service_at, m.last_service_km, v)
                             for v, m in sorted(batch.metas.items())])
    if batch.presence:
        with conn.cursor() as cur:
            cur.executemany("UPDATE vehicles SET presence = %s, presence_at = %s WHERE vehicle_id = %s",
                            [(p, at, v) for v, (p, at) in sorted(batch.presence.items())])
