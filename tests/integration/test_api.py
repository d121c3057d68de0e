"""The API against the real database: tokens and roles, tickets, vehicles, dead letters."""
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from detectors.base import Finding
from fleet_api.app import create_app
from fleet_api.auth import create_token
from tickets.repository import raise_ticket


@pytest.fixture
def api(stack, db):
    with TestClient(create_app(stack.database_url)) as client:
        yield client


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_healthz_needs_no_token(api):
    r = api.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/vehicles/EB-1", "/api/v1/deadletters"])
def test_no_token_or_wrong_token_is_401(api, path):
    assert api.get(path).status_code == 401
    r = api.get(path, headers=bearer("fh_wrong"))
    assert r.status_code == 401 and r.json()["detail"] == "unknown or revoked token"


def test_roles(api, db):
    crew = create_token(db, "crew", "north-1")
    ops = create_token(db, "ops")
    assert api.get("/api/v1/deadletters", headers=bearer(crew)).status_code == 403
    assert api.get("/api/v1/deadletters", headers=bearer(ops)).status_code == 200
    db.execute("UPDATE api_tokens SET revoked_at = now()")
    assert api.get("/api/v1/deadletters", headers=bearer(ops)).status_code == 401


def test_tickets_and_vehicle(api, db):
    ops = create_token(db, "ops")
    now = datetime.now(timezone.utc)
    db.execute("INSERT INTO vehicles (vehicle_id, type, model, zone, last_seen) VALUES "
               "('EB-3', 'ebike', 'urban-e1', 'north', now())")
    db.execute("INSERT INTO battery_readings (vehicle_id, ts, soc_pct, voltage_v, current_a, temp_c, cell_v_min, "
               "cell_v_max) VALUES ('EB-3', %s, 50, 37, 2, 71, 3.7, 3.72)", (now - timedelta(seconds=5),))
    db.execute("INSERT INTO tire_readings (vehicle_id, ts, position, pressure_kpa) VALUES "
               "('EB-3', %s, 'front', 340), ('EB-3', %s, 'rear', 120)", (now, now))
    with db.transaction():
        raise_ticket(db, Finding("EB-3", "BATTERY_OVERTEMP", "battery_overtemp_limit", now, 0.8, {"temp_c": 71.0}),
                     "north", now)
    r = api.get("/api/v1/tickets", params={"status": "live", "severity": "critical"}, headers=bearer(ops))
    body = r.json()
    assert r.status_code == 200 and body["count"] == 1
    assert body["data"][0]["fault_code"] == "BATTERY_OVERTEMP" and body["data"][0]["evidence"] == {"temp_c": 71.0}
    assert api.get("/api/v1/tickets", params={"zone": "south"}, headers=bearer(ops)).json()["count"] == 0
    assert api.get("/api/v1/tickets", params={"status": "bogus"}, headers=bearer(ops)).status_code == 422
    v = api.get("/api/v1/vehicles/EB-3", headers=bearer(ops)).json()
    assert v["health"] == 15 and v["latest"]["battery"]["temp_c"] == 71.0
    assert v["latest"]["tires"]["pressure_kpa"] == {"front": 340.0, "rear": 120.0}
    assert v["latest"]["brakes"] is None and len(v["live_tickets"]) == 1
    assert api.get("/api/v1/vehicles/NOPE", headers=bearer(ops)).status_code == 404
    assert api.get("/api/v1/tickets/99999999999999999999", headers=bearer(ops)).status_code == 422


def test_deadletters_newest_first_with_counts(api, db):
    ops = create_token(db, "ops")
    db.execute("INSERT INTO deadletters (received_at, topic, reason, detail, raw) VALUES "
               "(now() - interval '1 minute', 'fleet/v1/a/battery', 'not_json', 'x', 'abc'::bytea), "
               "(now(), 'fleet/v1/b/battery', 'bad_ts', 'y', '\\xff00'::bytea)")
    body = api.get("/api/v1/deadletters", headers=bearer(ops)).json()
    assert [d["reason"] for d in body["data"]] == ["bad_ts", "not_json"]
    assert body["by_reason"] == {"bad_ts": 1, "not_json": 1} and body["count"] == 2
    assert body["data"][1]["raw_text"] == "abc" and body["data"][0]["raw_base64"] == "/wA="


def test_ops_page_and_openapi(api):
    assert "Fleet Health" in api.get("/").text
    spec = api.get("/openapi.json").json()
    assert "/api/v1/tickets" in spec["paths"]
