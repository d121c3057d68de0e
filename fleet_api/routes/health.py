from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(request: Request):
    """Liveness and database reachability (no token needed)."""
    pool = request.app.state.pool
    try:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        body = Health(status="ok", database="ok", pool=pool.get_stats())
        return body
    except (psycopg.Error, Exception) as exc:  # the pool raises its own timeout type
        body = Health(status="degraded", database=str(exc)[:200], pool=pool.get_stats())
        return JSONResponse(body.model_dump(), status_code=503)
