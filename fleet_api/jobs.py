"""The crew job list, pure: urgency order, great-circle distance, and grouping nearby jobs into stops.

Order (documented in the route too): severity first (critical first); within a severity, `due_by`
truncated to the hour (earliest first), so jobs due in the same hour are taken nearest first;
distance from the crew breaks what is left. A stop is the most urgent job not yet placed plus every
other remaining job within `walk_m` (great-circle) of it: one place to park, several jobs done.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
M_PER_DEG_LAT = 111_320.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Job:
    ticket: dict  # a ticket row (CONTRACT section 4 fields)
    lat: float | None
    lon: float | None
    distance_m: float | None = None


@dataclass
class Stop:
    lat: float | None
    lon: float | None
    distance_m: float | None
    jobs: list[Job] = field(default_factory=list)


def urgency_key(job: Job) -> tuple:
    due: datetime = job.ticket["due_by"]
    hour = due.replace(minute=0, second=0, microsecond=0)
    return (SEVERITY_RANK[job.ticket["severity"]], hour,
            math.inf if job.distance_m is None else job.distance_m, due, job.ticket["id"])


def _cell(lat: float, lon: float, size_m: float) -> tuple[int, int]:
    # Equirectangular cells of the walking radius: a neighbour within it is in one of the 9 around.
    return (math.floor(lat * M_PER_DEG_LAT / size_m),
            math.floor(lon * M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01) / size_m))


def plan_stops(jobs: list[Job], lat: float | None = None, lon: float | None = None,
               walk_m: float = 300.0) -> list[Stop]:
    """Jobs ordered by urgency and distance from (lat, lon), grouped into stops of jobs within walk_m."""
    for job in jobs:
        job.distance_m = (haversine_m(lat, lon, job.lat, job.lon)
                          if lat is not None and lon is not None and job.lat is not None else None)
    ordered = sorted(jobs, key=urgency_key)
    grid: dict[tuple[int, int], list[int]] = {}
    for i, job in enumerate(ordered):
        if job.lat is not None:
            grid.setdefault(_cell(job.lat, job.lon, walk_m), []).append(i)
    placed = [False] * len(ordered)
    stops = []
    for i, anchor in enumerate(ordered):
        if placed[i]:
            continue
        placed[i] = True
        stop = Stop(anchor.lat, anchor.lon, anchor.distance_m, [anchor])
        if anchor.lat is not None:
            cy, cx = _cell(anchor.lat, anchor.lon, walk_m)
            near = sorted(j for dy in (-1, 0, 1) for dx in (-1, 0, 1) for j in grid.get((cy + dy, cx + dx), ())
                          if not placed[j])
            for j in near:  # ascending index keeps urgency order inside the stop
                other = ordered[j]
                if haversine_m(anchor.lat, anchor.lon, other.lat, other.lon) <= walk_m:
                    placed[j] = True
                    stop.jobs.append(other)
        stops.append(stop)
    return stops
