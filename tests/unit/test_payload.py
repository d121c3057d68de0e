"""Decoding and validating telemetry payloads (CONTRACT section 1)."""
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from fleet_contract.payload import decode_meta, decode_presence, decode_readings, Invalid

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
BATTERY = {"ts": "2026-11-27T08:15:00.250Z", "soc_pct": 81.5, "voltage_v": 38.2, "current_a": 4.1,
           "temp_c": 24.0, "cell_v_min": 3.81, "cell_v_max": 3.84, "cycles": 120, "seq": 7}


def decode(component, obj, raw=None):
    return decode_readings("EB-1", component, raw if raw is not None else orjson.dumps(obj), now=NOW)


def test_single_battery_reading():
    out = decode("battery", BATTERY)
    assert out.rejections == []
    [r] = out.readings
    assert r.ts == datetime(2026, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)
    assert r.values["soc_pct"] == 81.5 and r.values["cycles"] == 120 and r.seq == 7
    assert r.implausible == []


def test_epoch_milliseconds_and_offsets_are_the_same_instant():
    a = decode("battery", {**BATTERY, "ts": 1764231300250}).readings[0].ts
    b = decode("battery", {**BATTERY, "ts": "2026-11-27T09:15:00.250+01:00"}).readings[0].ts
    assert a == datetime(2025, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)
    assert b == datetime(2026, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)


def test_array_keeps_good_readings_beside_a_bad_one():
    good2 = {**BATTERY, "ts": "2026-11-27T08:16:00Z"}
    bad = {**BATTERY, "ts": "2026-11-27T08:17:00Z", "temp_c": "hot"}
    out = decode("battery", [BATTERY, bad, good2])
    assert [r.ts.minute for r in out.readings] == [15, 16]
    [rej] = out.rejections
    assert rej.reason == "wrong_type" and "[1]" in rej.detail and "temp_c" in rej.detail
    assert orjson.loads(rej.raw)["temp_c"] == "hot"


@pytest.mark.parametrize("raw, reason", [
    (b"not json", "not_json"),
    (b'{"ts": "2026-11-27T08:15:00Z", "soc_pct": NaN}', "non_finite"),
    (b'[1e400]', "non_finite"),
    (b"[]", "empty_array"),
    (orjson.dumps([BATTERY] * 1001), "array_too_long"),
    (b"x" * (256 * 1024 + 1), "too_large"),
    (b"42", "not_object"),
])
def test_bad_messages_are_rejected_with_their_reason(raw, reason):
    out = decode("battery", None, raw=raw)
    assert out.readings == []
    assert [r.reason for r in out.rejections] == [reason]


@pytest.mark.parametrize("change, reason", [
    ({"ts": None}, "bad_ts"),
    ({"ts": "yesterday"}, "bad_ts"),
    ({"ts": "2026-11-27T08:15:00"}, "bad_ts"),  # no offset
    ({"ts": 1764231300}, "bad_ts"),  # epoch seconds, not milliseconds
    ({"ts": (NOW + timedelta(hours=25)).isoformat()}, "ts_in_future"),
    ({"soc_pct": True}, "wrong_type"),
    ({"cycles": 1.5}, "wrong_type"),
    ({"seq": -1}, "wrong_type"),
])
def test_bad_fields_are_rejected(change, reason):
    obj = {**BATTERY, **change}
    out = decode("battery", obj)
    assert [r.reason for r in out.rejections] == [reason]


def test_missing_required_field():
    obj = dict(BATTERY)
    del obj["voltage_v"]
    [rej] = decode("battery", obj).rejections
    assert rej.reason == "missing_field" and rej.detail == "voltage_v"


def test_implausible_values_are_kept_and_flagged():
    out = decode("battery", {**BATTERY, "temp_c": 900, "soc_pct": 150})
    [r] = out.readings
    assert sorted(r.implausible) == ["soc_pct", "temp_c"] and r.values["temp_c"] == 900


def test_tires_keyed_by_position():
    out = decode("tires", {"ts": 1764231300250, "pressure_kpa": {"front": 340.5, "rear": 338}, "temp_c": 12})
    [r] = out.readings
    assert r.values["pressure_kpa"] == {"front": 340.5, "rear": 338.0}
    bad = decode("tires", {"ts": 1764231300250, "pressure_kpa": {"middle": 300}})
    assert bad.rejections[0].reason == "wrong_type"
    flat = decode("tires", {"ts": 1764231300250, "pressure_kpa": {"front": -5, "rear": 300}}).readings[0]
    assert flat.implausible == ["pressure_kpa.front"]


def test_status_state_must_be_known():
    base = {"ts": 1764231300250, "lat": 52.5, "lon": 13.4, "speed_kmh": 12, "odometer_km": 100.5}
    assert decode("status", {**base, "state": "riding"}).readings[0].values["state"] == "riding"
    assert decode("status", {**base, "state": "flying"}).rejections[0].reason == "wrong_type"


def test_meta_and_presence():
    assert decode_meta(b'{"type": "ebike", "model": "urban-e1", "zone": "north"}').zone == "north"
    with pytest.raises(Invalid) as exc:
        decode_meta(b'{"type": "boat", "model": "x", "zone": "n"}')
    assert exc.value.reason == "wrong_type"
    with pytest.raises(Invalid):
        decode_meta(b'{"type": "ebike", "model": "a\\u0000b", "zone": "n"}')
    assert decode_presence(b"offline") == "offline"
    with pytest.raises(Invalid):
        decode_presence(b"maybe")


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_ts_pushed_off_the_calendar_by_its_offset_is_a_dead_letter_not_a_crash(ts):
    # Found by tests/fuzz: astimezone() raised OverflowError and stopped the decoder.
    out = decode("battery", {**BATTERY, "ts": ts})
    assert out.readings == [] and [r.reason for r in out.rejections] == ["bad_ts"]


def test_number_types_are_normalised_on_the_fast_and_the_slow_path():
    r = decode("battery", {**BATTERY, "voltage_v": 38, "current_a": 3_000_000_000, "cycles": 12.0}).readings[0]
    assert type(r.values["voltage_v"]) is float and r.values["voltage_v"] == 38.0
    assert r.values["current_a"] == 3e9 and "current_a" in r.implausible
    assert type(r.values["cycles"]) is int and r.values["cycles"] == 12
    assert decode("battery", {**BATTERY, "cycles": 2**31}).rejections[0].reason == "wrong_type"
    assert decode("battery", {**BATTERY, "soc_pct": 1e13}).rejections[0].reason == "wrong_type"
    assert decode("battery", {**BATTERY, "soc_pct": None}).rejections[0].reason == "missing_field"


def test_meta_may_carry_the_last_service():
    meta = decode_meta(b'{"type": "car", "model": "city-c1", "zone": "south", '
                       b'"last_service_at": "2026-09-01T10:00:00+02:00", "last_service_km": 12040.5}', now=NOW)
    assert meta.last_service_at == datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc) and meta.last_service_km == 12040.5
    assert decode_meta(b'{"type": "car", "model": "city-c1", "zone": "south"}').last_service_at is None
    for bad, reason in ((b'"last_service_at": "soon"', "bad_ts"), (b'"last_service_km": -1', "wrong_type"),
                        (b'"last_service_km": "12"', "wrong_type")):
        with pytest.raises(Invalid) as exc:
            decode_meta(b'{"type": "car", "model": "city-c1", "zone": "s", ' + bad + b'}', now=NOW)
        assert exc.value.reason == reason
