"""Helpers (no tests) for the API tests: a small fleet with readings and tickets, written server-side."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from detectors.base import Finding
from fleet_api.auth import create_token
from tickets import service

BASE_LAT, BASE_LON = 52.5200, 13.4050
MODELS = [("ebike", "urban-e1"), ("escooter", "kick-s1"), ("car", "city-c1")]


def populate(conn, vehicles: int = 12, now: datetime | None = None) -> dict:
    """Vehicles V-000.. in zones north (even) and south (odd), 2 h of readings every 10 min, and tickets.

    Vehicle i sits i × 100 m north of the base point. Tickets: V-000 TIRE_FLAT (critical), V-002
    BRAKE_PAD_WEAR (medium, predictive), V-004 SERVICE_DUE (low), V-001 BATTERY_CELL_IMBALANCE (high).
    Returns the tokens (ops, admin, crew 'north-1' in zone north) and the time used.
    """
    now = now or datetime.now(timezone.utc)
    for i in range(vehicles):
        vtype, model = MODELS[i % 3]
        conn.execute("INSERT INTO vehicles (vehicle_id, type, model, zone, first_seen, last_seen) "
                     "VALUES (%s, %s, %s, %s, %s, %s)", (f"V-{i:03d}", vtype, model, "north" if i % 2 == 0 else "south",
                                                         now - timedelta(days=3), now))
    args = {"now": now, "n": vehicles, "lat": BASE_LAT, "lon": BASE_LON}
    series = ("FROM generate_series(0, %(n)s - 1) AS i, generate_series(0, 11) AS k, "
              "LATERAL (SELECT %(now)s - (k * interval '10 minutes') AS ts, format('V-%%s', lpad(i::text, 3, '0')) AS v) x")
    conn.execute("INSERT INTO status_readings (vehicle_id, ts, lat, lon, speed_kmh, odometer_km, state) "
                 f"SELECT v, ts, %(lat)s + i * 100 / 111195.0, %(lon)s, 0, 100 + i - k * 0.1, 'parked' {series}", args)
    conn.execute("INSERT INTO battery_readings (vehicle_id, ts, soc_pct, voltage_v, current_a, temp_c, cell_v_min, "
                 f"cell_v_max) SELECT v, ts, 80 - k * 2, 37, 1, 25 + k * 0.5, 3.9, 3.93 {series}", args)
    conn.execute("INSERT INTO brake_readings (vehicle_id, ts, pad_front_mm, pad_rear_mm) "
                 f"SELECT v, ts, CASE WHEN i %% 3 = 2 THEN 10 ELSE 3.5 END, CASE WHEN i %% 3 = 2 THEN 10 ELSE 3.4 END {series}", args)
    conn.execute("INSERT INTO tire_readings (vehicle_id, ts, position, pressure_kpa) "
                 f"SELECT v, ts, p, 340 - k {series}, unnest(ARRAY['front', 'rear']) AS p", args)
    findings = [("V-000", "TIRE_FLAT", None), ("V-002", "BRAKE_PAD_WEAR", now + timedelta(days=10)),
                ("V-004", "SERVICE_DUE", None), ("V-001", "BATTERY_CELL_IMBALANCE", None)]
    tickets = {}
    for vid, code, predicted in findings:
        if int(vid[2:]) >= vehicles:
            continue
        zone = "north" if int(vid[2:]) % 2 == 0 else "south"
        change = service.apply_finding(conn, Finding(vid, code, "test", now - timedelta(minutes=1), 0.9, {"x": 1.0},
                                                     predicted, received_at=now - timedelta(seconds=3)), zone, now)
        tickets[code] = change.ticket["id"]
    return {"now": now, "tickets": tickets, "ops": create_token(conn, "ops"), "admin": create_token(conn, "admin"),
            "crew": create_token(conn, "crew", "north-1", "north"), "crew_other": create_token(conn, "crew", "south-1", "south")}


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


class LiveApi:
    """The app served by a real uvicorn on a free loopback port, in a thread."""

    def __init__(self, database_url: str):
        import socket
        import threading

        import uvicorn

        from fleet_api.app import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(database_url), host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveApi":
        import time
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def emptied(database_url: str):
    """A fresh autocommit connection to an emptied database (as the `db` fixture, for wider scopes)."""
    import psycopg

    from tests.conftest import TABLES
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return conn
