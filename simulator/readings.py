"""Reading simulated messages back as per-vehicle series (tests, sanity checks, small evaluations)."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import orjson

from .engine import Message


def collect(messages: Iterable[Message]) -> dict:
    """{(vehicle_id, component): [reading, ...]} in arrival order, arrays unpacked; meta/presence under
    their topic suffix with `{"sent_at", "payload"}` rows. Every reading gets `_sent_at` (datetime)."""
    series: dict = defaultdict(list)
    for m in messages:
        _, _, vid, comp = m.topic.split("/")
        if comp in ("meta", "presence"):
            series[(vid, comp)].append({"_sent_at": m.sent_at, "payload": m.payload})
            continue
        data = orjson.loads(m.payload)
        for r in data if isinstance(data, list) else [data]:
            r["_sent_at"] = m.sent_at
            series[(vid, comp)].append(r)
    return series


def by_ts(rows: list[dict]) -> list[dict]:
    """Readings in measurement order, each `ts` once (duplicates dropped)."""
    seen = {}
    for r in rows:
        seen.setdefault(r["ts"], r)
    return [seen[k] for k in sorted(seen)]
