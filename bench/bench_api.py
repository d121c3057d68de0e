"""API latency on a big fleet: p50/p99 of the crew job list and the vehicle page, against the machine's floor.

Run: .venv/bin/python bench/bench_api.py [--vehicles 100000] [--days 7] [--requests 300] [--keep]

Builds (once; a second run reuses it) a private TimescaleDB under bench/out/api-state with N vehicles in
10 zones and, over D days, hourly battery and status readings and two-hourly brake and tire (2 positions)
readings: 100,000 vehicles x 7 days = 58.8 million rows, generated server-side with generate_series.
About 5 % of vehicles get a live ticket. Then it serves the API with uvicorn on loopback and times, over
real HTTP with one keep-alive client:
- floor: GET /healthz (one pooled `SELECT 1` through the same stack: HTTP, routing, pool, a round trip);
- the crew job list: GET /api/v1/crews/{crew}/jobs?lat=&lon= for a crew of a random zone at a random point;
- the vehicle page: GET /api/v1/vehicles/{id} for a random vehicle, and its 24 h battery chart
  (telemetry bucketed by 10 minutes), each on its own and together.
Prints p50/p99 per call and the ratio to the floor's p50 measured in the same run.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import uvicorn  # noqa: E402

from fleet_api.app import create_app  # noqa: E402
from fleet_api.auth import create_token  # noqa: E402
from fleet_cli.services import LocalServices, free_port  # noqa: E402
from fleet_contract.db import migrate  # noqa: E402

ZONES = 10
CODES = [("TIRE_FLAT", "tires", "critical"), ("BRAKE_PAD_WEAR", "brakes", "medium"), ("SERVICE_DUE", "status", "low"),
         ("BATTERY_CELL_IMBALANCE", "battery", "high"), ("TIRE_UNDERINFLATED", "tires", "medium")]
VID = "'B-' || lpad(i::text, 6, '0')"
# Deterministic scatter of vehicles over a 20 km square per zone row: a cheap hash of the index.
LAT = "52.30 + (i %% 10 / 5) * 0.2 + ((i::bigint * 7919) %% 1000) / 1000.0 * 0.18"
LON = "13.10 + (i %% 5) * 0.3 + ((i::bigint * 104729) %% 1000) / 1000.0 * 0.28"


def build(url: str, vehicles: int, days: int, end: datetime) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        done = conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0]
        if done and conn.execute("SELECT vehicles, days FROM bench_meta").fetchone() == (vehicles, days):
            print(f"reusing the fleet already built ({vehicles} vehicles, {days} days)", flush=True)
            return
        t0 = time.perf_counter()
        conn.execute("TRUNCATE vehicles, battery_readings, brake_readings, tire_readings, status_readings, "
                     "ticket_events, tickets, api_tokens RESTART IDENTITY CASCADE")
        models = "(ARRAY['urban-e1','kick-s1','city-c1'])[i %% 3 + 1]"
        types = "(ARRAY['ebike','escooter','car'])[i %% 3 + 1]"
        conn.execute(f"INSERT INTO vehicles (vehicle_id, type, model, zone, first_seen, last_seen) "
                     f"SELECT {VID}, {types}, {models}, 'zone-' || (i %% {ZONES}), %s, %s "
                     "FROM generate_series(0, %s - 1) i", (end - timedelta(days=days), end, vehicles))
        for day in range(days):
            start = end - timedelta(days=days - day)
            hours = ("FROM generate_series(0, %(n)s - 1) i, generate_series(%(a)s::timestamptz, "
                     "%(a)s::timestamptz + interval '23 hours', %(step)s::interval) t")
            args = {"n": vehicles, "a": start}
            conn.execute(f"INSERT INTO battery_readings (vehicle_id, ts, received_at, soc_pct, voltage_v, current_a, "
                         f"temp_c, cell_v_min, cell_v_max) SELECT {VID}, t, t, 20 + (i + extract(hour FROM t)) %% 80, "
                         f"37, 2, 25, 3.9, 3.93 {hours}", {**args, "step": "1 hour"})
            conn.execute(f"INSERT INTO status_readings (vehicle_id, ts, received_at, lat, lon, speed_kmh, odometer_km, "
                         f"state) SELECT {VID}, t, t, {LAT}, {LON}, 0, 100, 'parked' {hours}", {**args, "step": "1 hour"})
            conn.execute(f"INSERT INTO brake_readings (vehicle_id, ts, received_at, pad_front_mm, pad_rear_mm) "
                         f"SELECT {VID}, t, t, 3.5, 3.4 {hours}", {**args, "step": "2 hours"})
            conn.execute(f"INSERT INTO tire_readings (vehicle_id, ts, received_at, position, pressure_kpa) "
                         f"SELECT {VID}, t, t, p, 340 {hours}, unnest(ARRAY['front', 'rear']) p",
                         {**args, "step": "2 hours"})
            print(f"  day {day + 1}/{days} written, {time.perf_counter() - t0:.0f} s", flush=True)
        rng = random.Random(1)
        rows = []
        for n, i in enumerate(rng.sample(range(vehicles), vehicles // 20)):
            code, comp, sev = CODES[n % len(CODES)]
            opened = end - timedelta(hours=rng.uniform(0, 48))
            due = opened + {"critical": timedelta(hours=2), "high": timedelta(hours=24), "medium": timedelta(hours=72),
                            "low": timedelta(days=7)}[sev]
            rows.append((f"B-{i:06d}", comp, code, sev, opened, opened, due, f"zone-{i % ZONES}"))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO tickets (vehicle_id, component, fault_code, severity, status, opened_at, "
                            "updated_at, due_by, detector, zone) VALUES (%s, %s, %s, %s, 'open', %s, %s, %s, 'bench', %s)",
                            rows)
        conn.execute("ANALYZE")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (vehicles int, days int)")
        conn.execute("DELETE FROM bench_meta")
        conn.execute("INSERT INTO bench_meta VALUES (%s, %s)", (vehicles, days))
        total = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
                    ("battery_readings", "status_readings", "brake_readings", "tire_readings"))
        print(f"built {vehicles} vehicles, {total:,} readings, {len(rows)} tickets in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)


def timed(client: httpx.Client, urls, headers) -> list[float]:
    out = []
    for url in urls:
        parts = url if isinstance(url, tuple) else (url,)
        t0 = time.perf_counter()
        for u in parts:
            r = client.get(u, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"{u}: {r.status_code} {r.text[:200]}")
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vehicles", type=int, default=100_000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--keep", action="store_true", help="leave the private database running")
    args = p.parse_args()
    services = LocalServices(ROOT / "bench" / "out" / "api-state")
    state = services.up(postgres=True, mosquitto=False)
    url = state.database_url
    try:
        migrate(url)
        end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        build(url, args.vehicles, args.days, end)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM api_tokens")
            ops = create_token(conn, "ops")
            crews = {z: create_token(conn, "crew", f"crew-{z}", f"zone-{z}") for z in range(ZONES)}
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        rng, n = random.Random(2), args.requests
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            timed(client, ["/healthz"] * 20, {})  # warm the pool and the code paths
            floor = timed(client, ["/healthz"] * n, {})
            results = {"floor: GET /healthz (SELECT 1)": floor}
            jobs = []
            for _ in range(n):
                z = rng.randrange(ZONES)
                jobs.append(timed(client, [f"/api/v1/crews/crew-{z}/jobs?lat={52.30 + (z // 5) * 0.2 + rng.random() * 0.18}"
                                           f"&lon={13.10 + (z % 5) * 0.3 + rng.random() * 0.28}"],
                                  {"Authorization": f"Bearer {crews[z]}"})[0])
            results["crew job list"] = jobs
            ids = [f"B-{rng.randrange(args.vehicles):06d}" for _ in range(n)]
            frm, to = ((end - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ"))
            auth = {"Authorization": f"Bearer {ops}"}
            chart = lambda v: f"/api/v1/vehicles/{v}/telemetry/battery?bucket=10m&from={frm}&to={to}"  # noqa: E731
            results["vehicle page: GET /vehicles/{id}"] = timed(client, [f"/api/v1/vehicles/{v}" for v in ids], auth)
            results["vehicle chart: 24 h battery, 10 min buckets"] = timed(client, [chart(v) for v in ids], auth)
            results["vehicle page + chart together"] = timed(client, [(f"/api/v1/vehicles/{v}", chart(v))
                                                                     for v in rng.sample(ids, len(ids))], auth)
        server.should_exit = True
        floor50 = pct(floor, 50)
        print(f"\n{args.vehicles:,} vehicles, {n} requests per call, one client over loopback HTTP")
        print(f"{'call':48} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>10} {'p99/floor':>10}")
        for name, values in results.items():
            print(f"{name:48} {pct(values, 50):8.2f} {pct(values, 99):8.2f} {pct(values, 50) / floor50:10.1f} "
                  f"{pct(values, 99) / floor50:10.1f}")
    finally:
        if not args.keep:
            services.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
