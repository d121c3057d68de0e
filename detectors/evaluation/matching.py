"""Matching tickets to ground truth, and the figures of the report. Pure.

Rules (per vehicle and fault code):
- A ticket matches a truth line of the same vehicle and code when it was opened at or after the
  fault's onset (SERVICE_DUE: up to 1 h before, since the simulator checks schedules only hourly).
  A predictive ticket opened after the failure still matches (its lead time is then negative).
- Recall: share of truth lines with at least one matching ticket.
- Precision: matching tickets / (tickets − explained tickets). A ticket is explained, neither right
  nor wrong, when it does not match its own code but the vehicle has an injected fault, begun
  before the ticket, that physically causes the ticket's condition too (CONSEQUENCES: a worn-out
  pad after a fast-wear fault, a leaking tire that also falls under the band, a vehicle with any
  battery fault that is unlike its peers, a pack that heats twice as fast per watt as its peers
  rising faster than a healthy pack may).
- False alarms: tickets neither matching nor explained, per 1,000 vehicle-days of the run.
- Lead time (predictive codes): failure_at − opened_at of the first matching ticket, in days.
- Detection delay (critical codes): readings of the fault's component with ts from onset up to and
  including the reading that opened the first matching ticket.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from fleet_contract.codes import FAULT_CODES, Severity

EARLY_TOLERANCE = {"SERVICE_DUE": timedelta(hours=1)}
BATTERY_FAULTS = ("BATTERY_OVERTEMP", "BATTERY_CELL_IMBALANCE", "BATTERY_CAPACITY_FADE", "BATTERY_SELF_DISCHARGE")
CONSEQUENCES: dict[str, set[str]] = {
    "BRAKE_PAD_WEAR": {"BRAKE_PAD_WORN"},
    "TIRE_SLOW_LEAK": {"TIRE_UNDERINFLATED", "TIRE_FLAT"},
    "TIRE_FLAT": {"TIRE_UNDERINFLATED", "TIRE_SLOW_LEAK"},
    **{code: {"FLEET_OUTLIER"} for code in BATTERY_FAULTS},
    "FLEET_OUTLIER": {"BATTERY_OVERTEMP"},
}


def _ts(text) -> datetime | None:
    if text is None or isinstance(text, datetime):
        return text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _matches(ticket, truth: dict) -> bool:
    return ticket.opened_at >= _ts(truth["onset"]) - EARLY_TOLERANCE.get(truth["fault_code"], timedelta(0))


def evaluate(result) -> dict:
    """The report dict (CONTRACT section 6 keys, and more) from a run's truth and tickets."""
    truth_by = {}
    for t in result.truth:
        truth_by.setdefault((t["vehicle_id"], t["fault_code"]), []).append(t)
    faults_of_vehicle = {}
    for t in result.truth:
        faults_of_vehicle.setdefault(t["vehicle_id"], []).append(t)
    codes = {c: {"faults": 0, "tickets": 0, "matched": 0, "explained": 0, "detected": 0, "leads": [],
                 "delays": [], "missed": []} for c in FAULT_CODES}
    first: dict[int, object] = {}
    false_alarms = []
    for ticket in result.tickets:
        c = codes[ticket.fault_code]
        c["tickets"] += 1
        hits = [t for t in truth_by.get((ticket.vehicle_id, ticket.fault_code), []) if _matches(ticket, t)]
        if hits:
            c["matched"] += 1
            for t in hits:
                key = id(t)
                if key not in first or ticket.opened_at < first[key].opened_at:
                    first[key] = ticket
            continue
        causes = [t for t in faults_of_vehicle.get(ticket.vehicle_id, [])
                  if ticket.fault_code in CONSEQUENCES.get(t["fault_code"], ()) and _ts(t["onset"]) <= ticket.opened_at]
        if causes:
            c["explained"] += 1
        else:
            false_alarms.append(ticket)
    timelines = []
    for t in result.truth:
        c = codes[t["fault_code"]]
        c["faults"] += 1
        ticket = first.get(id(t))
        if ticket is None:
            c["missed"].append(t["vehicle_id"])
            continue
        c["detected"] += 1
        code = FAULT_CODES[t["fault_code"]]
        failure = _ts(t.get("failure_at"))
        if code.predictive and failure is not None:
            c["leads"].append((failure - ticket.opened_at).total_seconds() / 86400)
        if code.severity is Severity.critical:
            c["delays"].append(result.readings_between(t["vehicle_id"], code.component, _ts(t["onset"]),
                                                       ticket.observed_at))
        timelines.append({"vehicle_id": t["vehicle_id"], "fault_code": t["fault_code"], "onset": t["onset"],
                          "failure_at": t.get("failure_at"), "opened_at": ticket.opened_at.isoformat(),
                          "predicted_failure_at": ticket.predicted_failure_at.isoformat()
                          if ticket.predicted_failure_at else None})
    vehicle_days = result.vehicles * result.days
    report = {"codes": {}, "false_alarms_per_1000_vehicle_days": round(1000 * len(false_alarms) / vehicle_days, 3),
              "false_alarms": len(false_alarms), "vehicles": result.vehicles, "days": result.days,
              "readings": result.readings,
              "false_alarm_examples": [{"vehicle_id": f.vehicle_id, "fault_code": f.fault_code,
                                        "opened_at": f.opened_at.isoformat(), "evidence": f.evidence}
                                       for f in false_alarms[:20]]}
    for name, c in codes.items():
        judged = c["tickets"] - c["explained"]
        leads = np.array(c["leads"]) if c["leads"] else None
        report["codes"][name] = {
            "faults": c["faults"], "tickets": c["tickets"],
            "precision": round(c["matched"] / judged, 4) if judged else None,
            "recall": round(c["detected"] / c["faults"], 4) if c["faults"] else None,
            "lead_time_days_median": round(float(np.median(leads)), 3) if leads is not None else None,
            "lead_time_days_p10": round(float(np.percentile(leads, 10)), 3) if leads is not None else None,
            "delay_readings_max": max(c["delays"]) if c["delays"] else None,
            "delay_readings_median": float(np.median(c["delays"])) if c["delays"] else None,
            "explained_tickets": c["explained"], "missed_vehicles": c["missed"][:20],
            "lead_times_days": [round(x, 3) for x in c["leads"]],
        }
    report["timelines"] = timelines
    return report
