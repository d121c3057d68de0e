"""API features against the real database: job list, workflow, telemetry buckets, GBFS, metrics, KPIs, lists."""
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from fleet_api.app import create_app

from .test_api_support import BASE_LAT, BASE_LON, bearer, populate


@pytest.fixture
def api(stack, db):
    with TestClient(create_app(stack.database_url)) as client:
        yield client


@pytest.fixture
def fleet(db):
    return populate(db)


def test_crew_job_list_zone_urgency_and_stops(api, db, fleet):
    # North zone: V-000 TIRE_FLAT (critical, 0 m), V-002 pad wear (medium, 200 m), V-004 service (low, 400 m).
    r = api.get("/api/v1/crews/north-1/jobs", params={"lat": BASE_LAT + 450 / 111195, "lon": BASE_LON},
                headers=bearer(fleet["crew"]))
    body = r.json()
    assert r.status_code == 200 and body["zone"] == "north" and body["jobs"] == 3
    stops = [[j["ticket"]["fault_code"] for j in s["jobs"]] for s in body["data"]]
    # The critical job leads its stop and takes the pad job 200 m away with it; the service job 400 m off is apart.
    assert stops == [["TIRE_FLAT", "BRAKE_PAD_WEAR"], ["SERVICE_DUE"]]
    assert body["data"][0]["distance_m"] == pytest.approx(450, abs=2)
    assert body["data"][1]["jobs"][0]["distance_m"] == pytest.approx(50, abs=2)
    narrow = api.get("/api/v1/crews/north-1/jobs", params={"walk_m": 100}, headers=bearer(fleet["ops"])).json()
    assert [len(s["jobs"]) for s in narrow["data"]] == [1, 1, 1] and narrow["zone"] == "north"
    paged = api.get("/api/v1/crews/north-1/jobs", params={"limit": 1, "offset": 1}, headers=bearer(fleet["crew"]))
    assert paged.json()["count"] == 2 and len(paged.json()["data"]) == 1  # 2 stops at the default 300 m
    assert api.get("/api/v1/crews/north-1/jobs", params={"lat": 1}, headers=bearer(fleet["crew"])).status_code == 422
    # A crew with no zone sees every zone; south's high-severity job is then second.
    db.execute("UPDATE api_tokens SET zone = NULL")
    every = api.get("/api/v1/crews/north-1/jobs", params={"walk_m": 1}, headers=bearer(fleet["crew"])).json()
    assert [s["jobs"][0]["ticket"]["fault_code"] for s in every["data"]][:2] == ["TIRE_FLAT", "BATTERY_CELL_IMBALANCE"]


def test_crew_takes_starts_and_resolves_a_job(api, db, fleet):
    flat, crew, ops = fleet["tickets"]["TIRE_FLAT"], bearer(fleet["crew"]), bearer(fleet["ops"])
    started = api.post(f"/api/v1/tickets/{flat}/start", headers=crew).json()
    assert started["status"] == "in_progress" and started["assigned_crew"] == "north-1"
    assert api.post(f"/api/v1/tickets/{flat}/start", headers=crew).status_code == 409
    bad = api.post(f"/api/v1/tickets/{flat}/resolve", json={"outcome": "fixed-ish"}, headers=crew)
    assert bad.status_code == 422
    done = api.post(f"/api/v1/tickets/{flat}/resolve", json={"outcome": "replaced", "notes": "tube split",
                                                             "parts": ["tube 28x1.75"]}, headers=crew).json()
    assert done["status"] == "resolved"
    assert done["resolution"]["outcome"] == "replaced" and done["resolution"]["parts"] == ["tube 28x1.75"]
    assert done["resolution"]["by"] == "north-1"
    kinds = [e["kind"] for e in api.get(f"/api/v1/tickets/{flat}/events", headers=ops).json()["data"]]
    assert kinds == ["opened", "started", "resolved"]
    # Ops assigns and cancels; unknown tickets are 404, wrong states 409.
    wear = fleet["tickets"]["BRAKE_PAD_WEAR"]
    assert api.post(f"/api/v1/tickets/{wear}/assign", json={"crew": "north-2"}, headers=ops).json()["assigned_crew"] == "north-2"
    assert api.post(f"/api/v1/tickets/{wear}/cancel", json={"reason": "sold"}, headers=ops).json()["status"] == "cancelled"
    assert api.post(f"/api/v1/tickets/{wear}/assign", json={"crew": "x"}, headers=ops).status_code == 409
    assert api.post("/api/v1/tickets/999999/assign", json={"crew": "x"}, headers=ops).status_code == 404


def test_telemetry_raw_and_bucketed(api, fleet):
    ops, now = bearer(fleet["ops"]), fleet["now"]
    window = {"from": (now - timedelta(hours=2)).isoformat(), "to": (now + timedelta(seconds=1)).isoformat()}
    raw = api.get("/api/v1/vehicles/V-001/telemetry/battery", params=window, headers=ops).json()
    assert raw["bucket"] is None and len(raw["data"]) == 12 and raw["data"][-1]["values"]["soc_pct"] == 80
    hourly = api.get("/api/v1/vehicles/V-001/telemetry/battery", params={**window, "bucket": "1h"}, headers=ops).json()
    assert sum(1 for _ in hourly["data"]) in (2, 3) and hourly["bucket"] == "1:00:00"
    # The 12 readings (soc 80, 78, ..., 58) averaged per hour bucket: weighted mean equals the raw mean.
    raw_mean = sum(p["values"]["soc_pct"] for p in raw["data"]) / 12
    assert raw_mean == pytest.approx(69)
    tires = api.get("/api/v1/vehicles/V-001/telemetry/tires", params={**window, "bucket": "30m"}, headers=ops).json()
    assert tires["fields"] == ["pressure_kpa_front", "pressure_kpa_rear"] and 4 <= len(tires["data"]) <= 5
    for bad in ({"bucket": "5 parsecs"}, {"bucket": "1s", "from": "2020-01-01T00:00:00Z"},
                {"from": window["to"], "to": window["from"]}):
        assert api.get("/api/v1/vehicles/V-001/telemetry/battery", params={**window, **bad},
                       headers=ops).status_code == 422, bad
    assert api.get("/api/v1/vehicles/NOPE/telemetry/battery", headers=ops).status_code == 404


def test_gbfs_feeds(api, fleet):
    body = api.get("/gbfs/vehicle_status.json", headers=bearer(fleet["ops"])).json()
    assert body["version"] == "3.0" and body["ttl"] > 0 and datetime.fromisoformat(body["last_updated"])
    vehicles = {v["vehicle_id"]: v for v in body["data"]["vehicles"]}
    assert len(vehicles) == 12
    assert vehicles["V-000"]["is_disabled"] is True  # live critical TIRE_FLAT
    assert vehicles["V-002"]["is_disabled"] is False  # only a medium ticket
    assert vehicles["V-001"]["current_fuel_percent"] == pytest.approx(0.80)
    assert vehicles["V-003"]["lat"] == pytest.approx(BASE_LAT + 300 / 111195) and vehicles["V-003"]["is_reserved"] is False
    v2 = api.get("/gbfs/free_bike_status.json", headers=bearer(fleet["crew"])).json()
    assert v2["version"] == "2.3" and isinstance(v2["last_updated"], int)
    bikes = {b["bike_id"]: b for b in v2["data"]["bikes"]}
    assert bikes["V-000"]["is_disabled"] is True and 0 <= bikes["V-005"]["current_fuel_percent"] <= 1


def test_metrics_families(api, db, fleet):
    db.execute("INSERT INTO deadletters (topic, reason, raw) VALUES ('fleet/v1/x/battery', 'not_json', 'x'::bytea)")
    api.get("/api/v1/tickets", headers=bearer(fleet["ops"]))
    db.execute("ANALYZE")  # approximate_row_count reads the planner's statistics
    text = api.get("/metrics", headers=bearer(fleet["ops"])).text
    assert 'fleet_deadletters{reason="not_json"} 1.0' in text
    assert 'fleet_tickets{severity="critical",status="open"} 1.0' in text
    assert 'fleet_readings_stored{component="battery"} 144.0' in text  # 12 vehicles x 12 readings
    assert 'fleet_detection_latency_seconds_bucket{le="5.0"} 4.0' in text  # each ticket: received 3 s before
    assert 'fleet_detection_latency_seconds_count 4.0' in text
    assert 'fleet_api_request_seconds_bucket{' in text and 'route="/api/v1/tickets"' in text


def test_kpis_over_a_period(api, db, fleet):
    crew, ops, flat = bearer(fleet["crew"]), bearer(fleet["ops"]), fleet["tickets"]["TIRE_FLAT"]
    api.post(f"/api/v1/tickets/{flat}/start", headers=crew)
    api.post(f"/api/v1/tickets/{flat}/resolve", json={"outcome": "repaired"}, headers=crew)
    wear = fleet["tickets"]["BRAKE_PAD_WEAR"]
    api.post(f"/api/v1/tickets/{wear}/start", headers=crew)
    api.post(f"/api/v1/tickets/{wear}/resolve", json={"outcome": "no_fault_found"}, headers=crew)
    now = datetime.now(timezone.utc)
    k = api.get("/api/v1/kpis", params={"from": (now - timedelta(days=1)).isoformat(),
                                        "to": (now + timedelta(minutes=1)).isoformat()}, headers=ops).json()
    assert k["resolutions"] == 2 and k["false_alarm_rate"] == 0.5 and k["first_time_fix_rate"] == 1.0
    assert k["resolved_within_respond_by"] == 1.0 and k["mean_time_to_repair_h"] < 0.1
    assert k["mean_detection_lead_time_h"] == pytest.approx(240, abs=0.1)  # predicted 10 days out
    assert 0.9 < k["availability"] < 1.0  # V-000 disabled for a short while out of 12 vehicles x 1 day
    assert api.get("/api/v1/kpis", params={"from": now.isoformat(), "to": now.isoformat()},
                   headers=ops).status_code == 422


def test_vehicle_list_summary_and_page(api, fleet):
    ops = bearer(fleet["ops"])
    north = api.get("/api/v1/vehicles", params={"zone": "north", "limit": 2}, headers=ops).json()
    assert north["count"] == 6 and [v["vehicle_id"] for v in north["data"]] == ["V-000", "V-002"]
    sick = api.get("/api/v1/vehicles", params={"health_below": 90}, headers=ops).json()
    assert {v["vehicle_id"] for v in sick["data"]} == {"V-000", "V-001", "V-002"} and sick["count"] == 3
    cars = api.get("/api/v1/vehicles", params={"type": "car"}, headers=ops).json()
    assert cars["count"] == 4 and all(v["type"] == "car" for v in cars["data"])
    s = api.get("/api/v1/fleet/summary", headers=ops).json()
    assert s["vehicles"] == 12 and s["disabled"] == 1 and s["in_service"] == 11
    assert s["live_tickets_by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1}
    assert s["by_type"] == {"ebike": 4, "escooter": 4, "car": 4} and s["by_state"] == {"parked": 12}
    assert sum(s["health_distribution"].values()) == 12
    v = api.get("/api/v1/vehicles/V-000", headers=ops).json()
    assert v["health"] == 40 and v["latest"]["status"]["state"] == "parked"
    assert set(v["latest"]["battery"]) == {"ts", "soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min",
                                           "cell_v_max", "cycles", "implausible"}


def test_cli_crew_token_with_zone(api, stack, db):
    import os
    import subprocess
    import sys
    env = {**os.environ, "FLEET_DATABASE_URL": stack.database_url}
    run = lambda *a: subprocess.run([sys.executable, "-m", "fleet_cli.main", "token", "create", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=60)
    made = run("--role", "crew", "--crew", "east-2", "--zone", "east")
    assert made.returncode == 0, made.stderr
    me = api.get("/api/v1/me", headers=bearer(made.stdout.strip())).json()
    assert me == {"role": "crew", "crew": "east-2", "zone": "east"}
    wrong = run("--role", "ops", "--zone", "east")
    assert wrong.returncode == 2 and "crew tokens only" in wrong.stderr and "Traceback" not in wrong.stderr
