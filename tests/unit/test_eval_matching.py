"""Matching tickets to ground truth (pure): the rules of detectors/evaluation/matching.py, figure by figure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from detectors.evaluation.book import OpenedTicket
from detectors.evaluation.cli import misses
from detectors.evaluation.fastpath import RunResult
from detectors.evaluation.matching import evaluate

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def iso(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def ticket(vid: str, code: str, hours: float, observed: float | None = None) -> OpenedTicket:
    at = T0 + timedelta(hours=hours)
    seen = T0 + timedelta(hours=observed) if observed is not None else at
    return OpenedTicket(vid, code, at, seen, "d", 0.9, None, {})


def truth(vid: str, code: str, onset: float, failure: float | None = None) -> dict:
    return {"vehicle_id": vid, "fault_code": code, "onset": iso(onset),
            "failure_at": iso(failure) if failure is not None else None}


def run(truths, tickets, times=None) -> dict:
    return evaluate(RunResult(truths, tickets, vehicles=100, days=10.0, readings=1, reading_times=times or {}))


def test_precision_recall_and_false_alarms():
    report = run([truth("A", "TIRE_FLAT", 10), truth("B", "TIRE_FLAT", 20)],
                 [ticket("A", "TIRE_FLAT", 10.1), ticket("C", "TIRE_FLAT", 5), ticket("B", "TIRE_FLAT", 19)])
    flat = report["codes"]["TIRE_FLAT"]
    assert flat["faults"] == 2 and flat["tickets"] == 3
    assert flat["recall"] == 0.5  # B's ticket came before its onset: not a detection of it
    assert flat["precision"] == round(1 / 3, 4)
    assert report["false_alarms"] == 2 and report["false_alarms_per_1000_vehicle_days"] == 2.0
    assert report["codes"]["TIRE_SLOW_LEAK"]["recall"] is None  # no faults of that code


def test_lead_time_is_failure_minus_first_ticket_and_delay_counts_readings():
    times = {("A", "tires"): [(T0 + timedelta(hours=h)).timestamp() for h in (9, 10, 10.5, 11, 12)]}
    report = run([truth("A", "TIRE_SLOW_LEAK", 0, failure=24 * 8), truth("A", "TIRE_FLAT", 10)],
                 [ticket("A", "TIRE_SLOW_LEAK", 24 * 3), ticket("A", "TIRE_SLOW_LEAK", 24 * 5),
                  ticket("A", "TIRE_FLAT", 11.2, observed=11)], times)
    assert report["codes"]["TIRE_SLOW_LEAK"]["lead_time_days_median"] == 5.0
    assert report["codes"]["TIRE_FLAT"]["delay_readings_max"] == 3  # readings at 10, 10.5 and 11


def test_a_consequence_of_another_injected_fault_is_explained_not_false():
    report = run([truth("A", "BRAKE_PAD_WEAR", 0, failure=100)],
                 [ticket("A", "BRAKE_PAD_WEAR", 20), ticket("A", "BRAKE_PAD_WORN", 101),
                  ticket("B", "BRAKE_PAD_WORN", 50)])
    worn = report["codes"]["BRAKE_PAD_WORN"]
    assert worn["explained_tickets"] == 1 and worn["precision"] == 0.0 and report["false_alarms"] == 1


def test_service_due_may_be_an_hour_early_the_simulator_checks_hourly():
    report = run([truth("A", "SERVICE_DUE", 30)], [ticket("A", "SERVICE_DUE", 29.5)])
    assert report["codes"]["SERVICE_DUE"]["recall"] == 1.0


def test_thresholds_name_every_miss():
    report = run([truth("A", "TIRE_FLAT", 10)], [ticket("C", "TIRE_FLAT", 5)])

    class Args:
        min_precision, min_recall, max_false_alarms, min_lead_days, max_delay_readings = 0.9, 0.9, 0.5, 3, 2
    lines = misses(report, Args)
    assert any("TIRE_FLAT: precision" in x for x in lines) and any("TIRE_FLAT: recall" in x for x in lines)
    assert any("false alarms" in x for x in lines)
