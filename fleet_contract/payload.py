"""Decoding and validating telemetry payloads (CONTRACT section 1).

Pure: bytes in, readings and rejections out. A rejection carries the reason
that names its dead-letter counter; one bad reading in an array never loses
the good ones beside it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import orjson

MAX_MESSAGE_BYTES = 256 * 1024
MAX_ARRAY = 1000
FUTURE_LIMIT = timedelta(hours=24)
EPOCH_FLOOR = datetime(2000, 1, 1, tzinfo=timezone.utc)
TIRE_POSITIONS = ("front", "rear", "fl", "fr", "rl", "rr")
STATES = ("parked", "riding", "charging", "maintenance")
VEHICLE_TYPES = ("ebike", "escooter", "car")

# field -> (required, kind, plausible_min, plausible_max); kind "num" or "int"
FIELDS: dict[str, dict[str, tuple[bool, str, float, float]]] = {
    "battery": {
        "soc_pct": (True, "num", 0, 100),
        "voltage_v": (True, "num", 0, 1000),
        "current_a": (True, "num", -1000, 1000),
        "temp_c": (True, "num", -40, 120),
        "cell_v_min": (True, "num", 0, 5),
        "cell_v_max": (True, "num", 0, 5),
        "cycles": (False, "int", 0, 100_000),
    },
    "brakes": {
        "pad_front_mm": (True, "num", 0, 30),
        "pad_rear_mm": (True, "num", 0, 30),
        "decel_mps2": (False, "num", 0, 15),
        "lever_pct": (False, "num", 0, 100),
        "brake_temp_c": (False, "num", -40, 800),
    },
    "tires": {
        "temp_c": (False, "num", -40, 150),
    },
    "status": {
        "lat": (True, "num", -90, 90),
        "lon": (True, "num", -180, 180),
        "speed_kmh": (True, "num", 0, 300),
        "odometer_km": (True, "num", 0, 10_000_000),
    },
}
PRESSURE_RANGE = (0.0, 1000.0)
_SPECS = {c: tuple((name, *spec) for name, spec in fields.items()) for c, fields in FIELDS.items()}

_NON_FINITE = re.compile(rb"(?<![A-Za-z\"])-?(NaN|Infinity)(?![A-Za-z\"])")


@dataclass
class Reading:
    vehicle_id: str
    component: str
    ts: datetime
    values: dict
    seq: int | None = None
    implausible: list[str] = field(default_factory=list)  # fields out of their physical range
    received_at: datetime | None = None  # set when read back from storage


@dataclass
class Rejection:
    reason: str
    detail: str
    raw: bytes


@dataclass
class Decoded:
    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class Invalid(ValueError):
    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def load_json(raw: bytes):
    """Parse a message body; Invalid with reason too_large / non_finite / not_json."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Invalid("too_large", f"{len(raw)} bytes, limit {MAX_MESSAGE_BYTES}")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if _NON_FINITE.search(raw) or "infinity" in str(exc):
            raise Invalid("non_finite", "NaN or Infinity is not allowed") from None
        raise Invalid("not_json", str(exc)[:200]) from None


def parse_ts(value, now: datetime) -> datetime:
    if isinstance(value, bool):
        raise Invalid("bad_ts", "ts must be RFC 3339 text or integer epoch milliseconds")
    if isinstance(value, int):
        try:
            ts = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise Invalid("bad_ts", f"epoch milliseconds out of range: {value}") from None
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid("bad_ts", f"not RFC 3339: {value[:40]!r}") from None
        if ts.tzinfo is None:
            raise Invalid("bad_ts", "RFC 3339 ts needs an offset (Z or +hh:mm)")
        if ts.tzinfo is not timezone.utc:  # "Z" and "+00:00" need no conversion
            try:
                ts = ts.astimezone(timezone.utc)
            except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
                raise Invalid("bad_ts", f"out of range: {value[:40]!r}") from None
    else:
        raise Invalid("bad_ts", "ts must be RFC 3339 text or integer epoch milliseconds")
    if ts < EPOCH_FLOOR:
        raise Invalid("bad_ts", f"ts {ts.isoformat()} is before 2000 (epoch seconds instead of milliseconds?)")
    if ts > now + FUTURE_LIMIT:
        raise Invalid("ts_in_future", f"ts {ts.isoformat()} is more than 24 h ahead")
    return ts


def _number(name: str, value, kind: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("wrong_type", f"{name} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("non_finite", f"{name} is not finite")
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise Invalid("wrong_type", f"{name} must be an integer")
        if abs(value) >= 2**31:
            raise Invalid("wrong_type", f"{name} out of integer range")
        return int(value)
    if abs(value) > 1e12:
        raise Invalid("wrong_type", f"{name} out of numeric range")
    return float(value)


def validate_reading(vehicle_id: str, component: str, obj, now: datetime) -> Reading:
    """One reading object of a component; Invalid on anything the contract rejects."""
    if not isinstance(obj, dict):
        raise Invalid("not_object", "a reading must be a JSON object")
    if "ts" not in obj:
        raise Invalid("missing_field", "ts")
    ts = parse_ts(obj["ts"], now)
    seq = obj.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63):
        raise Invalid("wrong_type", "seq must be a non-negative integer")
    values: dict = {}
    implausible: list[str] = []
    for name, required, kind, lo, hi in _SPECS[component]:
        v = obj.get(name)
        if v is None:
            if required:
                raise Invalid("missing_field", name)
            continue
        # Fast path for what orjson gives for a healthy reading; anything else takes _number's exact checks.
        t = type(v)
        if t is float and kind == "num" and -1e12 <= v <= 1e12:
            pass
        elif t is int and -2**31 < v < 2**31:
            if kind == "num":
                v = float(v)
        else:
            v = _number(name, v, kind)
        values[name] = v
        if not lo <= v <= hi:
            implausible.append(name)
    if component == "battery" and values["cell_v_min"] > values["cell_v_max"]:
        implausible.append("cell_v_min")
    if component == "tires":
        pressures = obj.get("pressure_kpa")
        if pressures is None:
            raise Invalid("missing_field", "pressure_kpa")
        if not isinstance(pressures, dict) or not pressures:
            raise Invalid("wrong_type", "pressure_kpa must be an object keyed by tire position")
        clean = {}
        for pos, p in pressures.items():
            if pos not in TIRE_POSITIONS:
                raise Invalid("wrong_type", f"unknown tire position {pos[:16]!r}")
            clean[pos] = _number(f"pressure_kpa.{pos}", p, "num")
            if not PRESSURE_RANGE[0] <= clean[pos] <= PRESSURE_RANGE[1]:
                implausible.append(f"pressure_kpa.{pos}")
        values["pressure_kpa"] = clean
    if component == "status":
        state = obj.get("state")
        if state is None:
            raise Invalid("missing_field", "state")
        if state not in STATES:
            raise Invalid("wrong_type", f"state must be one of {', '.join(STATES)}")
        values["state"] = state
    return Reading(vehicle_id, component, ts, values, seq, implausible)


def decode_readings(vehicle_id: str, component: str, raw: bytes, now: datetime | None = None) -> Decoded:
    """A reading message: one object or an array of up to 1,000."""
    now = now or datetime.now(timezone.utc)
    out = Decoded()
    try:
        doc = load_json(raw)
    except Invalid as exc:
        out.rejections.append(Rejection(exc.reason, exc.detail, raw))
        return out
    if isinstance(doc, list):
        if len(doc) > MAX_ARRAY:
            out.rejections.append(Rejection("array_too_long", f"{len(doc)} readings, limit {MAX_ARRAY}", raw))
            return out
        if not doc:
            out.rejections.append(Rejection("empty_array", "an array needs at least one reading", raw))
            return out
        items = doc
    else:
        items = [doc]
    for i, item in enumerate(items):
        try:
            out.readings.append(validate_reading(vehicle_id, component, item, now))
        except Invalid as exc:
            detail = f"[{i}] {exc.detail}" if len(items) > 1 else exc.detail
            one = raw if len(items) == 1 else orjson.dumps(item)
            out.rejections.append(Rejection(exc.reason, detail, one))
    return out


@dataclass
class Meta:
    type: str
    model: str
    zone: str
    last_service_at: datetime | None = None  # where SERVICE_DUE counts from, when the registry knows
    last_service_km: float | None = None


def decode_meta(raw: bytes, now: datetime | None = None) -> Meta:
    doc = load_json(raw)
    if not isinstance(doc, dict):
        raise Invalid("not_object", "meta must be a JSON object")
    for key in ("type", "model", "zone"):
        if key not in doc:
            raise Invalid("missing_field", key)
        value = doc[key]
        if not isinstance(value, str) or not 0 < len(value) <= 64 or any(ord(c) < 32 for c in value):
            raise Invalid("wrong_type", f"{key} must be printable text of 1-64 characters")
    if doc["type"] not in VEHICLE_TYPES:
        raise Invalid("wrong_type", f"type must be one of {', '.join(VEHICLE_TYPES)}")
    service_at = doc.get("last_service_at")
    if service_at is not None:
        service_at = parse_ts(service_at, now or datetime.now(timezone.utc))
    service_km = doc.get("last_service_km")
    if service_km is not None:
        service_km = _number("last_service_km", service_km, "num")
        if service_km < 0:
            raise Invalid("wrong_type", "last_service_km must be zero or more")
    return Meta(doc["type"], doc["model"], doc["zone"], service_at, service_km)


def decode_presence(raw: bytes) -> str:
    text = raw.strip().decode("utf-8", "replace")
    if text not in ("online", "offline"):
        raise Invalid("bad_presence", "presence must be online or offline")
    return text
