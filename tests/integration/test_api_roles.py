"""The role matrix of CONTRACT section 5 (as decided in fleet_api/app.py): every endpoint with no token,
a wrong token, and each role's token; 401 / 403 / 200 as the matrix says."""
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from fleet_api.app import create_app
from tickets import service

from .test_api_support import bearer, populate

ALL, OPS_ADMIN = {"ops", "crew", "admin"}, {"ops", "admin"}
# (method, path, body, roles allowed); {flat} is the open, unassigned, north TIRE_FLAT ticket.
MATRIX = [
    ("GET", "/api/v1/me", None, ALL),
    ("GET", "/api/v1/fleet/summary", None, OPS_ADMIN),
    ("GET", "/api/v1/vehicles", None, ALL),
    ("GET", "/api/v1/vehicles/V-000", None, ALL),
    ("GET", "/api/v1/vehicles/V-000/telemetry/battery?bucket=10m", None, ALL),
    ("GET", "/api/v1/tickets", None, ALL),
    ("GET", "/api/v1/tickets/{flat}", None, ALL),
    ("GET", "/api/v1/tickets/{flat}/events", None, ALL),
    ("POST", "/api/v1/tickets/{flat}/assign", {"crew": "north-1"}, {"ops"}),
    ("POST", "/api/v1/tickets/{flat}/start", None, {"crew"}),
    ("POST", "/api/v1/tickets/{flat}/resolve", {"outcome": "repaired", "notes": "new tube", "parts": ["tube"]},
     {"crew"}),
    ("POST", "/api/v1/tickets/{flat}/cancel", {"reason": "duplicate report"}, {"ops"}),
    ("GET", "/api/v1/crews/north-1/jobs?lat=52.52&lon=13.405", None, {"ops", "crew"}),
    ("GET", "/api/v1/kpis", None, OPS_ADMIN),
    ("GET", "/api/v1/deadletters", None, OPS_ADMIN),
    ("GET", "/gbfs/vehicle_status.json", None, ALL),
    ("GET", "/gbfs/free_bike_status.json", None, ALL),
    ("GET", "/metrics", None, OPS_ADMIN),
]


@pytest.fixture
def api(stack, db):
    with TestClient(create_app(stack.database_url)) as client:
        yield client


def test_matrix_covers_every_route(api):
    spec_routes = {(m.upper(), p) for p, ops in api.get("/openapi.json").json()["paths"].items() for m in ops}
    tested = {(m, p.split("?")[0].replace("V-000", "{vehicle_id}").replace("{flat}", "{ticket_id}")
               .replace("north-1", "{crew}").replace("battery", "{component}")) for m, p, _, _ in MATRIX}
    assert spec_routes - {("GET", "/healthz")} == tested


@pytest.mark.parametrize("method,path,body,allowed", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(api, db, method, path, body, allowed):
    fleet = populate(db)
    flat = fleet["tickets"]["TIRE_FLAT"]
    if path.endswith("/resolve"):
        service.start(db, flat, "north-1", datetime.now(timezone.utc))  # resolving needs a job in progress
    url = path.format(flat=flat)
    call = lambda token: api.request(method, url, json=body, headers=bearer(token))  # noqa: E731
    for token in (None, "fh_not-a-real-token"):
        r = call(token)
        assert r.status_code == 401 and "detail" in r.json(), (token, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    # Forbidden roles first: a 403 must change nothing, so the allowed role then finds the state it needs.
    for role in sorted({"ops", "crew", "admin"} - allowed):
        r = call(fleet[role])
        assert r.status_code == 403 and "detail" in r.json(), (role, r.text)
    for role in sorted(allowed):
        r = call(fleet[role])
        assert r.status_code == 200, (role, r.text)


def test_crew_reads_only_its_own_job_list_and_tickets(api, db):
    fleet = populate(db)
    assert api.get("/api/v1/crews/north-1/jobs", headers=bearer(fleet["crew_other"])).status_code == 403
    now = datetime.now(timezone.utc)
    service.assign(db, fleet["tickets"]["TIRE_FLAT"], "north-1", "ops", now)
    hidden = api.get(f"/api/v1/tickets/{fleet['tickets']['TIRE_FLAT']}", headers=bearer(fleet["crew_other"]))
    assert hidden.status_code == 404
    r = api.post(f"/api/v1/tickets/{fleet['tickets']['TIRE_FLAT']}/start", headers=bearer(fleet["crew_other"]))
    assert r.status_code == 403 and "north-1" in r.json()["detail"]


def test_errors_are_json_everywhere(api, db):
    fleet = populate(db)
    ops = bearer(fleet["ops"])
    for method, url, status in (("GET", "/no/such/route", 404), ("DELETE", "/api/v1/tickets", 405),
                                ("GET", "/api/v1/tickets/123456", 404), ("GET", "/api/v1/vehicles/NOPE", 404),
                                ("GET", "/api/v1/tickets?limit=0", 422), ("GET", "/api/v1/tickets?zone=a%00b", 422),
                                ("POST", "/api/v1/tickets/1/assign", 422)):
        r = api.request(method, url, headers=ops, content=b"{not json" if method == "POST" else None)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"].startswith("application/json") and "detail" in r.json()
