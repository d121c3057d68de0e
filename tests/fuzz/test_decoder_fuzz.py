"""Fuzzing the decoder (pure): 10,000+ generated messages, malformed and at the edges of the contract.

Invariants: it never raises; every message becomes readings, meta, presence, "ignored" or dead
letters with a reason; every item of an array is accounted for (a reading or a rejection); what
it accepts is storable as is (finite numbers in range, UTF-8 text without NUL, ts in the window);
valid readings are all kept with their values.
"""
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet_contract import topics
from fleet_contract.payload import EPOCH_FLOOR, FUTURE_LIMIT, MAX_ARRAY, STATES, TIRE_POSITIONS
from ingest.decode import add_message
from ingest.store import Batch
from tests.fuzz.strategies import COMPONENTS, message, valid_reading

pytestmark = pytest.mark.slow
FIGURES: Counter = Counter()
REASON = re.compile(r"[a-z_]{3,40}")
FUZZ = settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def storable_text(s) -> bool:
    return isinstance(s, str) and "\x00" not in s and s.encode("utf-8", "strict") is not None


def check_reading(r, vehicle_id: str, now: datetime) -> None:
    assert r.vehicle_id == vehicle_id and r.component in COMPONENTS
    assert r.ts.tzinfo is not None and EPOCH_FLOOR <= r.ts <= now + FUTURE_LIMIT
    assert r.seq is None or 0 <= r.seq < 2**63
    for name, v in r.values.items():
        if name == "state":
            assert v in STATES
        elif name == "pressure_kpa":
            assert v and set(v) <= set(TIRE_POSITIONS)
            assert all(isinstance(p, float) and abs(p) <= 1e12 for p in v.values())
        elif name == "cycles":
            assert isinstance(v, int) and -(2**31) < v < 2**31
        else:
            assert isinstance(v, float) and abs(v) <= 1e12, (name, v)
    assert all(storable_text(f) for f in r.implausible)


def items_in(payload: bytes):
    """How many readings a payload claims to hold, when it is JSON at all (None otherwise)."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if isinstance(doc, list):
        return len(doc) if 0 < len(doc) <= MAX_ARRAY else None
    return 1


@FUZZ
@given(st.data())
def test_any_message_is_decoded_or_dead_lettered_never_raises(data):
    vehicle_id = data.draw(st.from_regex(topics.VEHICLE_ID, fullmatch=True))
    topic, payload = data.draw(message(vehicle_id))
    now = datetime.now(timezone.utc)
    batch = Batch()
    kind = add_message(batch, topic, payload, now)  # must not raise
    assert kind in ("rejected", "ignored", "meta", "presence", *COMPONENTS)
    FIGURES["messages"] += 1
    for d in batch.deadletters:
        assert d.topic == topic and REASON.fullmatch(d.reason) and isinstance(d.raw, bytes)
        assert storable_text(d.detail)
        FIGURES[f"dead:{d.reason}"] += 1
    for r in batch.readings:
        check_reading(r, vehicle_id, now)
    for m in batch.metas.values():
        assert all(storable_text(x) for x in (m.type, m.model, m.zone))
    FIGURES["readings"] += len(batch.readings)
    if kind in COMPONENTS:
        n = items_in(payload)
        if n is None:  # the message as a whole is rejected
            assert not batch.readings and len(batch.deadletters) == 1
        else:  # every item accounted for: a reading or a rejection
            assert len(batch.readings) + len(batch.deadletters) == n
    elif kind in ("meta", "presence"):
        assert not batch.readings and not batch.deadletters
    elif kind == "rejected":
        assert not batch.readings and len(batch.deadletters) >= 1


@settings(max_examples=2_000, deadline=None, database=None)
@given(st.sampled_from(COMPONENTS).flatmap(lambda c: st.tuples(st.just(c), st.lists(valid_reading(c), min_size=1,
                                                                                       max_size=30))))
def test_valid_readings_are_all_kept_with_their_values(case):
    component, docs = case
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    batch = Batch()
    assert add_message(batch, f"fleet/v1/EB-1/{component}", orjson.dumps(docs), now) == component
    assert batch.deadletters == []
    assert len(batch.readings) == len(docs)
    for doc, r in zip(docs, batch.readings):
        for name, v in doc.items():
            if name == "ts":
                continue
            got = r.seq if name == "seq" else r.values[name]
            assert got == v, (name, v, got)
    FIGURES["valid_readings_kept"] += len(docs)


def test_zz_print_figures():
    """Runs after the fuzz tests of this module (pytest keeps file order): their totals, for the CI log."""
    dead = sum(v for k, v in FIGURES.items() if k.startswith("dead:"))
    reasons = ", ".join(f"{k[5:]}={v}" for k, v in FIGURES.most_common() if k.startswith("dead:"))
    print(f"\n[decoder fuzz] messages={FIGURES['messages']} readings_accepted={FIGURES['readings']} "
          f"dead-lettered={dead} ({reasons}) valid_readings_kept={FIGURES['valid_readings_kept']}")
    assert FIGURES["messages"] >= 10_000 or FIGURES["messages"] == 0  # 0: run alone with -k
