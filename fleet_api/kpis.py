"""Service KPIs of CONTRACT section 5 over a period [start, end), computed from ticket facts: pure, no I/O.

Definitions (all over tickets whose event falls inside the period):
- mean_time_to_repair_h: mean of (resolved at − opened at) over resolutions in the period.
- resolved_within_respond_by: share of those resolutions made at or before the ticket's `due_by`.
- first_time_fix_rate: share of repairs (outcome `repaired`/`replaced`) in the period not followed by a
  reopen of the same ticket before the period's end.
- false_alarm_rate: share of resolutions in the period with outcome `no_fault_found`.
- mean_detection_lead_time_h: mean of (predicted_failure_at − opened_at) over predictive tickets opened
  in the period.
- availability: 1 − (vehicle-time disabled by a live critical ticket) / (vehicle-time known), both
  clipped to the period; a vehicle counts from its first sighting.
A figure with nothing to average over is None.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REPAIRS = ("repaired", "replaced")


@dataclass
class TicketFacts:
    id: int
    vehicle_id: str
    opened_at: datetime
    due_by: datetime
    predicted_failure_at: datetime | None = None
    resolutions: list[tuple[datetime, str]] = field(default_factory=list)  # (at, outcome)
    reopens: list[datetime] = field(default_factory=list)
    disabled: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # critical and live: [from, to)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _merged_length(intervals: list[tuple[datetime, datetime]]) -> float:
    """Seconds covered by the union of the intervals (overlapping critical tickets count once)."""
    total, cur_start, cur_end = 0.0, None, None
    for a, b in sorted(intervals):
        if cur_end is None or a > cur_end:
            if cur_end is not None:
                total += (cur_end - cur_start).total_seconds()
            cur_start, cur_end = a, b
        else:
            cur_end = max(cur_end, b)
    if cur_end is not None:
        total += (cur_end - cur_start).total_seconds()
    return total


def compute_kpis(tickets: list[TicketFacts], vehicles_first_seen: dict[str, datetime],
                 start: datetime, end: datetime) -> dict:
    """The KPI figures for [start, end); see the module docstring for each definition."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    inside = lambda t: start <= t < end  # noqa: E731
    repair_hours, on_time, outcomes, repairs_fixed = [], [], [], []
    leads, disabled_by_vehicle = [], {}
    for t in tickets:
        for at, outcome in t.resolutions:
            if not inside(at):
                continue
            repair_hours.append(_hours(t.opened_at, at))
            on_time.append(at <= t.due_by)
            outcomes.append(outcome)
            if outcome in REPAIRS:
                repairs_fixed.append(not any(at < r < end for r in t.reopens))
        if t.predicted_failure_at is not None and inside(t.opened_at):
            leads.append(_hours(t.opened_at, t.predicted_failure_at))
        for a, b in t.disabled:
            a, b = max(a, start), min(b or end, end)
            if a < b:
                disabled_by_vehicle.setdefault(t.vehicle_id, []).append((a, b))
    known = sum((end - max(seen, start)).total_seconds() for seen in vehicles_first_seen.values() if seen < end)
    disabled = sum(_merged_length(iv) for iv in disabled_by_vehicle.values())
    share = lambda flags: (sum(flags) / len(flags)) if flags else None  # noqa: E731
    return {
        "mean_time_to_repair_h": _mean(repair_hours),
        "resolved_within_respond_by": share(on_time),
        "first_time_fix_rate": share(repairs_fixed),
        "false_alarm_rate": share([o == "no_fault_found" for o in outcomes]),
        "mean_detection_lead_time_h": _mean(leads),
        "availability": (max(0.0, 1 - disabled / known) if known > 0 else None),
        "resolutions": len(outcomes),
        "predictive_tickets_opened": len(leads),
    }
