"""The FastAPI application: routers, a psycopg pool opened in the lifespan, JSON errors, metrics, the ops page.

Role matrix (CONTRACT section 5; each route module's docstring says why):

| route | ops | crew | admin |
|---|---|---|---|
| GET /healthz | no token needed |||
| GET /api/v1/me | yes | yes | yes |
| GET /api/v1/fleet/summary | yes | 403 | yes |
| GET /api/v1/vehicles, /vehicles/{id}, /vehicles/{id}/telemetry/{component} | yes | yes | yes |
| GET /api/v1/tickets, /tickets/{id}, /tickets/{id}/events | all | own + open unassigned | all |
| POST /api/v1/tickets/{id}/assign, /cancel | yes | 403 | 403 |
| POST /api/v1/tickets/{id}/start, /resolve | 403 | own or open unassigned | 403 |
| GET /api/v1/crews/{crew}/jobs | any crew | its own (other: 403) | 403 |
| GET /api/v1/kpis, /api/v1/deadletters, /metrics | yes | 403 | yes |
| GET /gbfs/vehicle_status.json, /gbfs/free_bike_status.json | yes | yes | yes |
"""
from __future__ import annotations

import gc
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
import orjson
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from . import errors
from .deps import OpsOrAdmin
from .metrics import DatabaseCollector
from .routes import crews, deadletters, fleet, gbfs, health, kpis, me, ticket_actions, tickets, vehicles

STATIC = Path(__file__).parent / "static"
API_LATENCY = Histogram("fleet_api_request_seconds", "API latency by route", ["route", "method", "status"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def create_app(database_url: str, pool_size: int = 8) -> FastAPI:
    set_json_loads(orjson.loads)  # ticket evidence and resolutions: jsonb parsed ~5x faster than the stdlib
    pool = ConnectionPool(database_url, min_size=1, max_size=pool_size, open=False,
                          check=ConnectionPool.check_connection, kwargs={"autocommit": True})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool.open(wait=True, timeout=30)
        # Everything loaded at start-up lives as long as the process: keep it out of the cyclic GC's
        # full collections, which otherwise show up as p99 spikes on the larger responses.
        gc.freeze()
        yield
        pool.close()

    app = FastAPI(title="Fleet Health", version="1", lifespan=lifespan,
                  description="Predictive maintenance for shared e-bikes, e-scooters and cars: jobs for crews, "
                              "fleet health for ops. Every call but /healthz needs `Authorization: Bearer <token>`.")
    app.state.pool = pool
    errors.install(app)
    db_registry = CollectorRegistry(auto_describe=False)
    db_registry.register(DatabaseCollector(pool))

    @app.middleware("http")
    async def time_requests(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        API_LATENCY.labels(getattr(route, "path", "unmatched"), request.method,
                           str(response.status_code)).observe(time.perf_counter() - start)
        return response

    for router in (health.router, me.router, fleet.router, vehicles.router, tickets.router, ticket_actions.router,
                   crews.router, kpis.router, deadletters.router, gbfs.router):
        app.include_router(router)

    @app.get("/metrics", tags=["metrics"], response_class=Response,
             responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    def metrics(principal: OpsOrAdmin) -> Response:
        """Prometheus text: readings stored, dead letters by reason, tickets, detection and API latency."""
        return Response(generate_latest(REGISTRY) + generate_latest(db_registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def ops_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
