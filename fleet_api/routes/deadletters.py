from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from psycopg.rows import dict_row

from ..deps import MAX_OFFSET, Conn, OpsOrAdmin
from ..schemas import DeadLetterPublic, DeadLettersPublic

router = APIRouter(prefix="/api/v1/deadletters", tags=["dead letters"])


@router.get("", response_model=DeadLettersPublic)
def list_deadletters(
    conn: Conn, principal: OpsOrAdmin,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    """Rejected messages, newest first, with their reason and raw bytes (capped); counts by reason."""
    where, args = ("WHERE reason = %s", [reason]) if reason else ("", [])
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"SELECT id, received_at, topic, reason, detail, raw FROM deadletters {where} "
                           "ORDER BY received_at DESC, id DESC LIMIT %s OFFSET %s", [*args, limit, offset]).fetchall()
        by_reason = {r["reason"]: r["n"] for r in cur.execute(
            "SELECT reason, count(*) AS n FROM deadletters GROUP BY reason ORDER BY reason").fetchall()}
    data = []
    for r in rows:
        raw = bytes(r.pop("raw"))
        data.append(DeadLetterPublic(**r, raw_text=raw.decode("utf-8", "replace"),
                                     raw_base64=base64.b64encode(raw).decode()))
    count = by_reason.get(reason, 0) if reason else sum(by_reason.values())
    return DeadLettersPublic(data=data, count=count, by_reason=by_reason)
