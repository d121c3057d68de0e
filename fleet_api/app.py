"""The FastAPI application: routers, a psycopg pool opened in the lifespan, metrics, the ops page."""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from psycopg_pool import ConnectionPool

from .routes import deadletters, health, tickets, vehicles

STATIC = Path(__file__).parent / "static"
API_LATENCY = Histogram("fleet_api_request_seconds", "API latency by route", ["route", "method", "status"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def create_app(database_url: str, pool_size: int = 8) -> FastAPI:
    pool = ConnectionPool(database_url, min_size=1, max_size=pool_size, open=False,
                          check=ConnectionPool.check_connection, kwargs={"autocommit": True})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool.open(wait=True, timeout=30)
        yield
        pool.close()

    app = FastAPI(title="Fleet Health", version="1", lifespan=lifespan,
                  description="Predictive maintenance for shared e-bikes, e-scooters and cars: jobs for crews, "
                              "fleet health for ops. Every /api/v1 call needs `Authorization: Bearer <token>`.")
    app.state.pool = pool

    @app.middleware("http")
    async def time_requests(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        API_LATENCY.labels(getattr(route, "path", "unmatched"), request.method,
                           str(response.status_code)).observe(time.perf_counter() - start)
        return response

    for router in (health.router, tickets.router, vehicles.router, deadletters.router):
        app.include_router(router)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def ops_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
