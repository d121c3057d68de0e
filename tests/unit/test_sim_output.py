"""Determinism, file round trip, message shape and order, network realism, replay pacing, CLI errors."""
import gzip
import hashlib
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from fleet_contract.payload import decode_meta

from simulator.engine import Message, SimConfig, Simulation
from simulator.output import pace, read_file, schedule, write_file

CONFIG = dict(vehicles=30, duration=timedelta(hours=12), faults="random:0.3")


def _file(tmp_path, name, **kw):
    path = tmp_path / name
    sim = Simulation(SimConfig(**{**CONFIG, **kw}))
    n = write_file(sim.messages(), path)
    return path, n, sim


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, na, sa = _file(tmp_path, "a.gz", seed=4)
    b, nb, sb = _file(tmp_path, "b.gz", seed=4)
    c, _, _ = _file(tmp_path, "c.gz", seed=5)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert na == nb > 1000 and digest(a) == digest(b) != digest(c)
    assert sa.truth == sb.truth and sa.truth


def test_fast_path_and_message_path_write_the_same_bytes(tmp_path):
    fast, n, _ = _file(tmp_path, "fast.gz", seed=4)
    slow = tmp_path / "slow.gz"
    sim = Simulation(SimConfig(**CONFIG, seed=4))
    assert write_file(list(sim.messages()), slow) == n
    assert gzip.decompress(slow.read_bytes()) == gzip.decompress(fast.read_bytes())


def test_round_trip_and_order(tmp_path):
    path, n, _ = _file(tmp_path, "r.gz", seed=1)
    sim = Simulation(SimConfig(**CONFIG, seed=1))
    original = list(sim.messages())
    back = list(read_file(path))
    assert back == original and len(back) == n
    assert all(a.sent_at <= b.sent_at for a, b in zip(back, back[1:]))
    line = orjson.loads(gzip.decompress(path.read_bytes()).split(b"\n")[0])
    assert set(line) >= {"topic", "payload", "sent_at"} and isinstance(line["payload"], str)


def test_messages_follow_the_contract():
    sim = Simulation(SimConfig(vehicles=20, duration=timedelta(hours=6), seed=2))
    fields = {
        "battery": {"ts", "seq", "soc_pct", "voltage_v", "current_a", "temp_c", "cell_v_min", "cell_v_max", "cycles"},
        "brakes": {"ts", "seq", "pad_front_mm", "pad_rear_mm", "brake_temp_c"},
        "tires": {"ts", "seq", "pressure_kpa", "temp_c"},
        "status": {"ts", "seq", "lat", "lon", "speed_kmh", "odometer_km", "state"},
    }
    seen = set()
    for m in sim.messages():
        parts = m.topic.split("/")
        assert parts[:2] == ["fleet", "v1"] and len(parts) == 4
        comp = parts[3]
        seen.add(comp)
        if comp == "meta":
            assert m.retain and set(orjson.loads(m.payload)) == {"type", "model", "zone", "last_service_at",
                                                                 "last_service_km"}
            assert decode_meta(m.payload, now=m.sent_at).last_service_at <= m.sent_at
        elif comp == "presence":
            assert m.retain and m.payload in (b"online", b"offline")
        else:
            data = orjson.loads(m.payload)
            rows = data if isinstance(data, list) else [data]
            assert 1 <= len(rows) <= 1000 and len(m.payload) <= 256 * 1024
            for r in rows:
                assert fields[comp] <= set(r) and r["ts"].endswith("Z") and len(r["ts"]) == 24
                if comp == "status":
                    assert r["state"] in ("parked", "riding", "charging", "maintenance")
    assert seen == {"meta", "presence", "battery", "brakes", "tires", "status"}


def test_network_realism_offline_arrays_duplicates_reordering():
    sim = Simulation(SimConfig(vehicles=60, duration=timedelta(days=1), seed=3))
    arrays, presence_off, late, dups = 0, 0, 0, 0
    last_seq, seen = {}, set()
    for m in sim.messages():
        if m.topic.endswith("/presence"):
            presence_off += m.payload == b"offline"
            continue
        if m.topic.endswith("/meta"):
            continue
        data = orjson.loads(m.payload)
        arrays += isinstance(data, list)
        for r in data if isinstance(data, list) else [data]:
            key = (m.topic, r["seq"])
            dups += key in seen
            seen.add(key)
            late += r["seq"] < last_seq.get(m.topic, 0)
            last_seq[m.topic] = max(r["seq"], last_seq.get(m.topic, 0))
    s = sim.summary()
    assert arrays > 0 and presence_off > 0 and late > 0 and dups > 0
    assert s["duplicates"] == dups and s["readings"] > 10_000


def test_generation_is_lazy():
    sim = Simulation(SimConfig(vehicles=50, duration=timedelta(days=3650), seed=1))
    stream = sim.messages()
    first = [next(stream) for _ in range(500)]
    assert first[0].topic.endswith("/meta") and sim._progress_s < 3600


def test_pacing_keeps_order_and_relative_timing():
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    sent = [t0 + timedelta(seconds=s) for s in (0, 0, 1.5, 30, 30.25, 600, 3600)]
    plan = schedule(sent, speed=60.0)
    assert plan == sorted(plan)
    for s, p in zip(sent, plan):
        assert p == pytest.approx((s - t0).total_seconds() / 60.0, rel=0.05)
    assert schedule(sent, None) == [0.0] * len(sent)
    assert pace(t0 + timedelta(seconds=120), t0, 1000.0, 2.0) == pytest.approx(1060.0)


def test_read_file_keeps_retained_flags(tmp_path):
    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    msgs = [Message(t, "fleet/v1/EB-00001/presence", b"online", 1, True),
            Message(t + timedelta(milliseconds=5), "fleet/v1/EB-00001/battery", b'{"ts":"x"}')]
    write_file(msgs, tmp_path / "m.gz")
    assert list(read_file(tmp_path / "m.gz")) == msgs


def test_cli_bad_values_are_one_line_errors(tmp_path, capsys, monkeypatch):
    import argparse
    from simulator.cli import register
    p = argparse.ArgumentParser(prog="fleet")
    register(p.add_subparsers(dest="command"))
    for argv in (["sim", "--vehicles", "0"], ["sim", "--faults", "random:x"], ["sim", "--speed", "-1"],
                 ["sim", "--qos", "2"], ["sim", "--faults", str(tmp_path / "missing.jsonl")],
                 ["replay", str(tmp_path / "missing.gz")]):
        with pytest.raises(SystemExit) as e:
            p.parse_args(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("fleet ") and "error" in err[-1]
    monkeypatch.delenv("FLEET_MQTT_URL", raising=False)
    args = p.parse_args(["sim", "--vehicles", "2", "--days", "0.01"])
    assert args.func(args) == 2
    assert "FLEET_MQTT_URL is not set" in capsys.readouterr().err


def test_cli_sim_to_file_with_truth(tmp_path, capsys):
    import argparse
    from simulator.cli import register
    p = argparse.ArgumentParser(prog="fleet")
    register(p.add_subparsers(dest="command"))
    scenario = tmp_path / "s.jsonl"
    scenario.write_text('{"vehicle_id": "EB-00001", "fault_code": "TIRE_FLAT", "onset_h": 1}\n')
    args = p.parse_args(["sim", "--vehicles", "5", "--days", "0.1", "--faults", str(scenario),
                         "--out", str(tmp_path / "o.gz"), "--truth", str(tmp_path / "t.jsonl")])
    assert args.func(args) == 0
    truth = [orjson.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert truth[0]["fault_code"] == "TIRE_FLAT" and truth[0]["onset"] == "2026-11-01T01:00:00.000Z"
    assert "messages" in capsys.readouterr().out
