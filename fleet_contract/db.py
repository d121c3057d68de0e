"""Database connections and schema migrations (numbered SQL files applied once, in order)."""
from __future__ import annotations

import logging
from importlib import resources

import psycopg

log = logging.getLogger(__name__)
MIGRATION_LOCK = 7_262_024  # advisory lock id: only one process migrates at a time


def migrations() -> list[tuple[int, str, str]]:
    files = sorted(p for p in resources.files("fleet_contract.sql").iterdir() if p.name.endswith(".sql"))
    return [(int(p.name.split("_", 1)[0]), p.name, p.read_text()) for p in files]


def migrate(url: str) -> list[str]:
    """Bring the schema up to date; returns the migrations applied now."""
    applied = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in migrations():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
                log.info("migration applied", extra={"migration": name})
                applied.append(name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def timescale_license(conn: psycopg.Connection) -> str:
    """`timescale` or `apache`: which TimescaleDB features this server has."""
    return conn.execute("SELECT current_setting('timescaledb.license', true)").fetchone()[0] or "apache"
