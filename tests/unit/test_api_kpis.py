"""KPI definitions (fleet_api/kpis.py) on hand-made ticket histories."""
from datetime import datetime, timedelta, timezone

import pytest

from fleet_api.kpis import TicketFacts, compute_kpis

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
H = timedelta(hours=1)
START, END = T0, T0 + 100 * H


def facts(tid, vehicle="V1", opened_h=0, due_h=24, **kw):
    return TicketFacts(tid, vehicle, T0 + opened_h * H, T0 + due_h * H, **kw)


def test_repair_figures():
    tickets = [
        facts(1, resolutions=[(T0 + 10 * H, "repaired")]),                       # on time, 10 h
        facts(2, due_h=2, resolutions=[(T0 + 4 * H, "replaced")],
              reopens=[T0 + 50 * H]),                                            # late, 4 h, came back
        facts(3, resolutions=[(T0 + 6 * H, "no_fault_found")]),                  # on time, false alarm
        facts(4, opened_h=-50, resolutions=[(T0 - 1 * H, "repaired")]),         # resolved before the period
    ]
    k = compute_kpis(tickets, {"V1": T0 - 100 * H}, START, END)
    assert k["resolutions"] == 3
    assert k["mean_time_to_repair_h"] == pytest.approx((10 + 4 + 6) / 3)
    assert k["resolved_within_respond_by"] == pytest.approx(2 / 3)
    assert k["first_time_fix_rate"] == pytest.approx(1 / 2)  # of the two repairs, one reopened in the window
    assert k["false_alarm_rate"] == pytest.approx(1 / 3)


def test_a_reopen_after_the_period_does_not_count_against_it():
    t = facts(1, resolutions=[(T0 + 10 * H, "repaired")], reopens=[END + H])
    assert compute_kpis([t], {}, START, END)["first_time_fix_rate"] == 1.0


def test_detection_lead_time_of_predictive_tickets_opened_in_the_period():
    tickets = [facts(1, opened_h=10, predicted_failure_at=T0 + 70 * H), facts(2, opened_h=20,
               predicted_failure_at=T0 + 40 * H), facts(3, opened_h=-5, predicted_failure_at=T0 + 10 * H),
               facts(4, opened_h=30)]
    k = compute_kpis(tickets, {}, START, END)
    assert k["mean_detection_lead_time_h"] == pytest.approx((60 + 20) / 2) and k["predictive_tickets_opened"] == 2


def test_availability_clips_merges_and_weights_by_time_known():
    seen = {"V1": T0 - 10 * H, "V2": T0 - 10 * H, "V3": T0 + 50 * H}  # V3 known for the last 50 h only
    tickets = [
        facts(1, "V1", disabled=[(T0 - 5 * H, T0 + 10 * H)]),        # 10 h inside
        facts(2, "V1", disabled=[(T0 + 5 * H, T0 + 20 * H)]),        # overlaps: +10 h more, not 15
        facts(3, "V2", disabled=[(T0 + 90 * H, None)]),               # still live: to the end, 10 h
    ]
    k = compute_kpis(tickets, seen, START, END)
    assert k["availability"] == pytest.approx(1 - 30 / 250)


def test_nothing_to_measure_is_none_and_bad_period_refused():
    k = compute_kpis([], {}, START, END)
    assert all(k[f] is None for f in ("mean_time_to_repair_h", "resolved_within_respond_by", "first_time_fix_rate",
                                      "false_alarm_rate", "mean_detection_lead_time_h", "availability"))
    with pytest.raises(ValueError):
        compute_kpis([], {}, END, START)
