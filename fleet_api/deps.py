"""Dependencies shared by the routes: a pooled connection and the caller's role."""
from __future__ import annotations

from typing import Annotated, Iterator

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .auth import Principal, lookup

bearer = HTTPBearer(auto_error=False, description="A token from `fleet token create`")


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(get_conn)]


def get_principal(conn: Conn, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    principal = lookup(conn, creds.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require(*roles: str):
    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"this call needs the role {' or '.join(roles)}")
        return principal
    return check


AnyRole = Annotated[Principal, Depends(require("ops", "crew", "admin"))]
OpsOrAdmin = Annotated[Principal, Depends(require("ops", "admin"))]
Ops = Annotated[Principal, Depends(require("ops"))]
Crew = Annotated[Principal, Depends(require("crew"))]
OpsOrCrew = Annotated[Principal, Depends(require("ops", "crew"))]
MAX_OFFSET = 10**9  # paging further than this is a mistake, and bigger numbers overflow PostgreSQL's bigint
