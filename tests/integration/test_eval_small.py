"""A small `fleet eval` in CI: the seeded suite in process, its figures held to thresholds set here."""
from __future__ import annotations

import json

import pytest

from fleet_cli.main import main

PREDICTIVE = ("BRAKE_PAD_WEAR", "TIRE_SLOW_LEAK", "BATTERY_CAPACITY_FADE")
CRITICAL = ("BATTERY_OVERTEMP", "BRAKE_PAD_WORN", "BRAKE_WEAK", "TIRE_FLAT")


@pytest.mark.slow
def test_small_eval_meets_its_thresholds(tmp_path, capsys):
    report_path = tmp_path / "report.json"
    status = main(["eval", "--vehicles", "200", "--days", "10", "--seed", "4242", "--report", str(report_path),
                   "--plots", str(tmp_path / "plots"), "--min-precision", "0.8", "--min-recall", "0.8",
                   "--max-false-alarms", "2", "--min-lead-days", "3", "--max-delay-readings", "2"])
    out = capsys.readouterr()
    assert status == 0, out.err
    report = json.loads(report_path.read_text())
    codes = report["codes"]
    assert all(codes[c]["faults"] >= 5 for c in codes)  # every code injected, SERVICE_DUE on its own too
    for code, c in codes.items():
        assert set(c) >= {"faults", "tickets", "precision", "recall", "lead_time_days_median",
                          "lead_time_days_p10", "delay_readings_max"}
        assert c["recall"] >= 0.8 and c["precision"] >= 0.8, (code, c)
    for code in PREDICTIVE:
        assert codes[code]["lead_time_days_median"] >= 3 and codes[code]["lead_time_days_p10"] is not None
    for code in CRITICAL:
        assert codes[code]["delay_readings_max"] <= 2
    assert report["false_alarms_per_1000_vehicle_days"] <= 2
    assert "| TIRE_SLOW_LEAK |" in out.out
    assert (tmp_path / "plots" / "lead_times.png").stat().st_size > 5000


def test_eval_exits_1_when_a_threshold_is_missed(tmp_path, capsys):
    status = main(["eval", "--vehicles", "20", "--days", "0.5", "--seed", "5", "--faults-per-code", "1",
                   "--report", str(tmp_path / "r.json"), "--min-recall", "1.0"])
    err = capsys.readouterr().err
    assert status == 1
    assert "threshold missed" in err and "recall" in err  # half a day is too short for the trend detectors


@pytest.mark.parametrize("argv, message", [
    (["eval", "--vehicles", "0"], "must be at least 1"),
    (["eval", "--min-precision", "1.5"], "between 0 and 1"),
    (["eval", "--days", "soon"], "expected a number"),
    (["eval", "--vehicles", "10", "--faults-per-code", "5"], "need at least"),
])
def test_eval_argument_errors_are_one_line_and_exit_2(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as raised:
        status = main(argv + ["--report", str(tmp_path / "r.json")])
        raise SystemExit(status)
    err = capsys.readouterr().err.strip()
    assert raised.value.code == 2 and message in err and len(err.splitlines()) == 1
