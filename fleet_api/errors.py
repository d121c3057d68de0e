"""JSON errors everywhere: every failure answers `{"detail": ...}`, unknown routes and 405 included."""
from __future__ import annotations

import logging

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)


def bad_input(where: str, name: str, msg: str) -> RequestValidationError:
    """A 422 in FastAPI's own documented shape (detail: [{loc, msg, type}]), for checks a route makes itself."""
    return RequestValidationError([{"loc": (where, name), "msg": msg, "type": "value_error"}])


def install(app: FastAPI) -> None:
    """Add handlers for what FastAPI does not turn into JSON itself: database trouble and crashes."""

    @app.exception_handler(psycopg_pool.PoolTimeout)
    async def pool_timeout(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "database busy, try again"}, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(psycopg.DataError)
    async def bad_value(request: Request, exc: Exception) -> JSONResponse:
        # e.g. a NUL byte in a text filter: PostgreSQL refuses it, and it is the caller's input at fault.
        msg = f"invalid value: {str(exc).splitlines()[0][:200]}"
        return JSONResponse({"detail": [{"loc": ["request"], "msg": msg, "type": "value_error"}]}, status_code=422)

    @app.exception_handler(psycopg.OperationalError)
    async def db_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return JSONResponse({"detail": "database unavailable"}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)
