"""Bearer tokens: created by `fleet token create`, stored only as their SHA-256, each with one role."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import psycopg

ROLES = ("ops", "crew", "admin")


@dataclass(frozen=True)
class Principal:
    token_id: int
    role: str
    crew: str | None
    zone: str | None = None  # a crew's zone: its job list covers it (None: all zones)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: psycopg.Connection, role: str, crew: str | None = None, zone: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "crew" and not crew:
        raise ValueError("a crew token needs --crew NAME")
    if zone is not None and role != "crew":
        raise ValueError("--zone applies to crew tokens only")
    token = "fh_" + secrets.token_urlsafe(24)
    conn.execute("INSERT INTO api_tokens (token_hash, role, crew, zone) VALUES (%s, %s, %s, %s)",
                 (token_hash(token), role, crew if role == "crew" else None, zone))
    return token


def lookup(conn: psycopg.Connection, token: str) -> Principal | None:
    row = conn.execute("SELECT id, role, crew, zone FROM api_tokens WHERE token_hash = %s AND revoked_at IS NULL",
                       (token_hash(token),)).fetchone()
    return Principal(*row) if row else None


def list_tokens(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT id, role, crew, created_at, revoked_at FROM api_tokens ORDER BY id").fetchall()


def revoke(conn: psycopg.Connection, token_id: int) -> bool:
    cur = conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (token_id,))
    return cur.rowcount == 1
