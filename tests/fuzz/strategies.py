"""Hypothesis strategies for telemetry messages: valid readings at their edges, and everything malformed.

A message is (topic, payload bytes). `messages(vehicle_id)` mixes valid readings, arrays mixing
good and bad readings, mutated readings, arbitrary JSON, random bytes, bad topics, meta and presence.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import orjson
from hypothesis import strategies as st

from fleet_contract.payload import FIELDS, STATES, TIRE_POSITIONS

COMPONENTS = ("battery", "brakes", "tires", "status")
NOW = datetime.now(timezone.utc)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
)
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)), max_leaves=12)


def _iso(ts: datetime) -> str:
    return ts.isoformat()


# ts: valid forms near now, and every kind of wrong one
valid_ts = st.one_of(
    st.integers(min_value=-30 * 86400, max_value=23 * 3600).map(
        lambda s: int((NOW + timedelta(seconds=s)).timestamp() * 1000)),
    st.builds(lambda s, off: _iso((NOW + timedelta(seconds=s)).astimezone(timezone(timedelta(minutes=off)))),
              st.integers(min_value=-30 * 86400, max_value=23 * 3600), st.integers(min_value=-14 * 60, max_value=14 * 60)),
)
edge_ts = st.one_of(
    valid_ts,
    st.datetimes(timezones=st.timezones()).map(_iso),  # any year 1..9999, any zone: out-of-range after conversion
    st.datetimes().map(_iso),  # no offset
    st.integers(), st.floats(), st.text(max_size=40), st.booleans(), st.none(),
    st.sampled_from(["", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                     "2026-11-27T08:15:00.250Z", "2026-11-27", "T", "now"]),
)
numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
                    st.integers(min_value=-1000, max_value=1000))
edge_numbers = st.one_of(numbers, st.floats(allow_nan=False, allow_infinity=False),
                         st.integers(min_value=-(2**63), max_value=2**64 - 1), st.just(-0.0), st.just(1e308))


@st.composite
def valid_reading(draw, component: str) -> dict:
    """A reading the contract accepts (values may be implausible: stored and flagged)."""
    doc: dict = {"ts": draw(valid_ts)}
    if draw(st.booleans()):
        doc["seq"] = draw(st.integers(min_value=0, max_value=2**63 - 1))
    for name, (required, kind, lo, hi) in FIELDS[component].items():
        if not required and draw(st.booleans()):
            continue
        if kind == "int":
            doc[name] = draw(st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1))
        else:
            doc[name] = draw(numbers)
    if component == "tires":
        positions = draw(st.lists(st.sampled_from(TIRE_POSITIONS), min_size=1, max_size=4, unique=True))
        doc["pressure_kpa"] = {p: draw(numbers) for p in positions}
    if component == "status":
        doc["state"] = draw(st.sampled_from(STATES))
    return doc


@st.composite
def mutated_reading(draw, component: str) -> dict:
    doc = draw(valid_reading(component))
    keys = list(doc)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(st.sampled_from(["drop", "replace", "add", "ts", "number"]))
        key = draw(st.sampled_from(keys))
        if action == "drop":
            doc.pop(key, None)
        elif action == "replace":
            doc[key] = draw(json_values)
        elif action == "add":
            doc[draw(st.text(max_size=12))] = draw(json_values)
        elif action == "ts":
            doc["ts"] = draw(edge_ts)
        else:
            doc[key] = draw(edge_numbers)
    return doc


def _dumps(doc) -> bytes:
    try:
        return orjson.dumps(doc)
    except TypeError:  # integers past 64 bits: a sender may still write them
        return json.dumps(doc, allow_nan=False).encode()


@st.composite
def reading_payload(draw, component: str) -> bytes:
    kind = draw(st.sampled_from(["valid", "valid_array", "mixed_array", "mutated", "json", "bytes", "text_edit",
                                 "non_finite", "empty_array"]))
    if kind == "valid":
        return _dumps(draw(valid_reading(component)))
    if kind == "valid_array":
        return _dumps(draw(st.lists(valid_reading(component), min_size=1, max_size=20)))
    if kind == "mixed_array":
        items = draw(st.lists(st.one_of(valid_reading(component), mutated_reading(component), json_values),
                              min_size=1, max_size=20))
        return _dumps(items)
    if kind == "mutated":
        return _dumps(draw(mutated_reading(component)))
    if kind == "json":
        return _dumps(draw(json_values))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text_edit":  # a valid payload cut or spliced: broken JSON, bad UTF-8, stray NUL
        raw = _dumps(draw(valid_reading(component)))
        i = draw(st.integers(min_value=0, max_value=len(raw)))
        return raw[:i] + draw(st.binary(max_size=8)) + raw[i + draw(st.integers(min_value=0, max_value=5)):]
    if kind == "non_finite":
        raw = _dumps(draw(valid_reading(component))).decode()
        field = next(k for k in FIELDS[component] if FIELDS[component][k][0]) if component != "tires" else None
        if field:
            return raw.replace(f'"{field}":', f'"{field}":{draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))},"x":', 1).encode()
        return raw.replace('"ts":', '"ts":NaN,"y":', 1).encode()
    return b"[]"


meta_payload = st.one_of(
    st.builds(lambda t, m, z: _dumps({"type": t, "model": m, "zone": z}),
              st.sampled_from(["ebike", "escooter", "car", "bus", ""]), st.text(max_size=70), st.text(max_size=70)),
    json_values.map(_dumps), st.binary(max_size=50), st.just(b""),
)
presence_payload = st.one_of(st.sampled_from([b"online", b"offline", b" online\n", b"", b"maybe"]),
                             st.binary(max_size=20))


@st.composite
def message(draw, vehicle_id: str) -> tuple[str, bytes]:
    """One message for `vehicle_id`: mostly readings, some meta/presence, some on a topic the contract rejects."""
    kind = draw(st.sampled_from(COMPONENTS * 4 + ("meta", "presence", "bad_topic")))
    if kind == "meta":
        return f"fleet/v1/{vehicle_id}/meta", draw(meta_payload)
    if kind == "presence":
        return f"fleet/v1/{vehicle_id}/presence", draw(presence_payload)
    if kind == "bad_topic":
        component = draw(st.sampled_from(COMPONENTS))
        topic = draw(st.sampled_from([
            f"fleet/v1/{vehicle_id}/engine", f"fleet/v1/{vehicle_id}/{component}/extra", f"fleet/v1/{vehicle_id}",
            f"fleet/v1/{vehicle_id}.x/{component}", f"fleet/v1/{vehicle_id}%/{component}",
            f"fleet/v1/{vehicle_id}/{component.upper()}", f"fleet/v1/{vehicle_id}/",
        ]))
        return topic, draw(reading_payload(component))
    return f"fleet/v1/{vehicle_id}/{kind}", draw(reading_payload(kind))
