"""The crew job list's pure parts: great-circle distance, urgency order, grouping into stops."""
from datetime import datetime, timedelta, timezone

import pytest

from fleet_api.jobs import Job, haversine_m, plan_stops

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
BASE = (52.5200, 13.4050)
M_LAT = 1 / 111_195  # degrees of latitude per metre on the mean sphere


def job(tid, severity="medium", due_h=10.0, north_m=0.0, east_m=0.0, pos=True):
    lat = BASE[0] + north_m * M_LAT
    lon = BASE[1] + east_m * M_LAT / 0.6087  # cos(52.52°)
    ticket = {"id": tid, "severity": severity, "due_by": T0 + timedelta(hours=due_h)}
    return Job(ticket, lat if pos else None, lon if pos else None)


def ids(stops):
    return [[j.ticket["id"] for j in s.jobs] for s in stops]


def test_haversine_known_distances():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)  # one degree on the equator
    assert haversine_m(*BASE, *BASE) == 0
    # Berlin to Paris, great circle: about 878 km.
    assert haversine_m(52.5200, 13.4050, 48.8566, 2.3522) == pytest.approx(877_500, rel=0.005)


def test_severity_first_then_due_hour_then_distance():
    jobs = [job(1, "low", due_h=1, north_m=10), job(2, "critical", due_h=5, north_m=5000),
            job(3, "critical", due_h=1.2, north_m=3000), job(4, "critical", due_h=1.5, north_m=1000),
            job(5, "high", due_h=0.5, north_m=2000)]
    stops = plan_stops(jobs, *BASE, walk_m=300)
    # 3 and 4 are due in the same hour: the nearer (4) first; 2 is due later; then high, then low.
    assert ids(stops) == [[4], [3], [2], [5], [1]]
    assert stops[0].distance_m == pytest.approx(1000, rel=0.01)


def test_jobs_within_a_short_walk_share_a_stop():
    jobs = [job(1, "critical", due_h=1), job(2, "low", due_h=100, north_m=250),
            job(3, "medium", due_h=50, east_m=299), job(4, "medium", due_h=50, east_m=320),
            job(5, "high", due_h=20, north_m=-2000)]
    stops = plan_stops(jobs, BASE[0] + 0.05, BASE[1], walk_m=300)
    assert ids(stops) == [[1, 3, 2], [5], [4]]  # inside a stop, urgency order; 4 is 320 m away: its own stop
    assert plan_stops([job(1), job(2, east_m=320)], walk_m=400)[0].jobs[1].ticket["id"] == 2


def test_grouping_is_to_the_anchor_not_chained():
    # 1 -- 250 m -- 2 -- 250 m -- 3: 3 is 500 m from the stop's first job, so it starts another stop.
    jobs = [job(1, "critical"), job(2, "high", north_m=250), job(3, "high", north_m=500)]
    assert ids(plan_stops(jobs, walk_m=300)) == [[1, 2], [3]]


def test_without_position_urgency_alone_and_unknown_positions_last_in_their_rank():
    jobs = [job(1, "medium", due_h=3, pos=False), job(2, "medium", due_h=3, north_m=10), job(3, "critical", due_h=9, north_m=3000)]
    stops = plan_stops(jobs, *BASE)
    assert ids(stops) == [[3], [2], [1]] and stops[2].distance_m is None
    no_crew_position = plan_stops([job(1, "low"), job(2, "high", north_m=5000)])
    assert ids(no_crew_position) == [[2], [1]] and no_crew_position[0].distance_m is None


def test_grid_finds_neighbours_across_cell_edges_everywhere():
    # Pairs 290 m apart in every direction, at many offsets: each pair always forms one stop.
    for k in range(40):
        for dn, de in ((290, 0), (0, 290), (205, 205), (-205, 205)):
            a, b = job(1, "high", north_m=k * 37.3, east_m=k * 53.1), job(2, "low", north_m=k * 37.3 + dn,
                                                                          east_m=k * 53.1 + de)
            assert ids(plan_stops([a, b], walk_m=300)) == [[1, 2]], (k, dn, de)
