"""`fleet demo`: local services, ingest, detectors and the API as processes, and a simulated fleet feeding them."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import psycopg

from fleet_contract.settings import Settings

from .env import bring_up
from .main import stop_on_signals

# The faults every demo shows: (vehicle, code, onset after the simulated start).
DEMO_FAULTS = (
    ("EB-00001", "BATTERY_OVERTEMP", timedelta(minutes=10)),
    ("EB-00002", "BRAKE_PAD_WORN", timedelta(minutes=20)),
    ("ES-00001", "TIRE_FLAT", timedelta(minutes=30)),
)
CATCHUP_REAL_S = 40.0


def paced(messages, sim_start: datetime, catchup_sim: timedelta, speed: float, stop: threading.Event):
    """Yield messages at their time: `speed` x real time through the catch-up window, then real time."""
    real_start = time.monotonic()
    catch = catchup_sim.total_seconds()
    for m in messages:
        offset = (m.sent_at - sim_start).total_seconds()
        target = offset / speed if offset <= catch else catch / speed + (offset - catch)
        delay = real_start + target - time.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        if stop.is_set():
            return
        yield m


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def run_demo(args, settings: Settings) -> int:
    from fleet_api.auth import create_token
    from simulator.engine import FaultSpec, SimConfig, Simulation
    from simulator.output import publish_live

    ep = bring_up(settings)
    with psycopg.connect(ep.database_url, autocommit=True) as conn:
        token = create_token(conn, "ops")
        started_at = conn.execute("SELECT now()").fetchone()[0]
    def env(role: str) -> dict:  # each process with its own broker account
        return dict(os.environ, FLEET_DATABASE_URL=ep.database_url, FLEET_MQTT_URL=ep.for_role(role).mqtt_url)
    fleet = [sys.executable, "-m", "fleet_cli.main"]
    procs = {
        "ingest": subprocess.Popen(fleet + ["ingest", "--client-id", "fleet-demo-ingest"], env=env("ingest")),
        "detect": subprocess.Popen(fleet + ["detect"], env=env("detect")),
        "api": subprocess.Popen(fleet + ["api"], env=env("ops")),
    }
    stop = threading.Event()
    stop_on_signals(stop.set)
    base = f"http://{settings.api_host}:{settings.api_port}"
    try:
        if not _wait_http(base + "/healthz", 30):
            print(f"fleet demo: error: the API did not answer on {base}", file=sys.stderr)
            return 1
        catchup_sim = timedelta(seconds=CATCHUP_REAL_S * args.speed)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        sim_start = now - catchup_sim
        faults = [FaultSpec(v, code, onset) for v, code, onset in DEMO_FAULTS]
        sim = Simulation(SimConfig(vehicles=args.vehicles, duration=timedelta(days=30), seed=args.seed,
                                   start=sim_start, faults=faults))
        print(f"""
Fleet Health demo is running.
  ops page:  {base}/#token={token}
  API docs:  {base}/docs
  token:     {token}
  broker:    {ep.mqtt_url}
  database:  {ep.database_url}
Simulating {args.vehicles} vehicles: {catchup_sim} of history at {args.speed:g}x, then live.
Injected: {', '.join(f'{c} on {v}' for v, c, _ in DEMO_FAULTS)}.
{'Ctrl-C to stop.' if args.duration is None else f'Stopping after {args.duration:g} s.'}
""", flush=True)
        publisher = threading.Thread(
            target=publish_live, name="sim",
            kwargs=dict(messages=paced(sim.messages(), sim_start, catchup_sim, args.speed, stop), target=ep.mqtt,
                        speed=None, stop=stop, progress=False), daemon=True)
        publisher.start()
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead:
                print(f"fleet demo: error: {', '.join(dead)} exited early", file=sys.stderr)
                return 1
            stop.wait(0.5)
        stop.set()
        publisher.join(timeout=10)
        time.sleep(3)  # let ingest commit and the detectors see the last readings
        return _print_tickets(ep.database_url, started_at)
    finally:
        stop.set()
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def _print_tickets(database_url: str, since: datetime) -> int:
    injected = {(v, c) for v, c, _ in DEMO_FAULTS}
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id, vehicle_id, fault_code, severity, status, opened_at FROM tickets WHERE opened_at >= %s "
            "ORDER BY opened_at", (since,)).fetchall()
        readings = conn.execute("SELECT (SELECT count(*) FROM battery_readings) + (SELECT count(*) FROM "
                                "brake_readings) + (SELECT count(*) FROM status_readings)").fetchone()[0]
    print(f"Tickets raised in this demo ({len(rows)}):")
    for tid, vid, code, sev, status, opened in rows:
        mark = "injected" if (vid, code) in injected else ""
        print(f"  #{tid:<5} {vid:<10} {code:<24} {sev:<9} {status:<12} {opened:%H:%M:%S}  {mark}")
    found = {(vid, code) for _, vid, code, *_ in rows}
    missing = injected - found
    print(f"Readings stored so far (battery, brakes, status): {readings}")
    if missing:
        print("Not detected: " + ", ".join(f"{c} on {v}" for v, c in sorted(missing)))
        return 1
    return 0
