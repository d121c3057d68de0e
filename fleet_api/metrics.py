"""Prometheus figures computed from the database at scrape time (the API cannot see ingest's counters).

Cheap by design: readings stored come from TimescaleDB's `approximate_row_count` (catalog statistics,
no scan); dead letters and tickets are grouped counts on indexed columns; detection latency
(reading received -> ticket stored) is a histogram over tickets opened in the last 24 hours.
"""
from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

READING_TABLES = {"battery": "battery_readings", "brakes": "brake_readings", "tires": "tire_readings",
                  "status": "status_readings"}
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
LATENCY_WINDOW = "24 hours"


class DatabaseCollector(Collector):
    """Yields the database-backed metric families on each scrape, from one pooled connection."""

    def __init__(self, pool):
        self.pool = pool

    def collect(self):
        with self.pool.connection(timeout=5) as conn:
            yield from collect_from(conn)


def collect_from(conn):
    readings = GaugeMetricFamily("fleet_readings_stored", "Readings stored, by component (approximate row count)",
                                 labels=["component"])
    for comp, table in READING_TABLES.items():
        readings.add_metric([comp], conn.execute("SELECT approximate_row_count(%s::regclass)", (table,)).fetchone()[0])
    yield readings
    dead = GaugeMetricFamily("fleet_deadletters", "Dead letters stored, by reason", labels=["reason"])
    for reason, n in conn.execute("SELECT reason, count(*) FROM deadletters GROUP BY reason ORDER BY reason"):
        dead.add_metric([reason], n)
    yield dead
    tickets = GaugeMetricFamily("fleet_tickets", "Tickets by status and severity", labels=["status", "severity"])
    for status, severity, n in conn.execute(
            "SELECT status, severity, count(*) FROM tickets GROUP BY status, severity ORDER BY 1, 2"):
        tickets.add_metric([status, severity], n)
    yield tickets
    yield detection_latency(conn)


def detection_latency(conn) -> HistogramMetricFamily:
    has_received = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'source_received_at'"
    ).fetchone() is not None
    # Without the received time of the triggering reading, fall back to its own timestamp (includes transit).
    source = "source_received_at" if has_received else "detected_from"
    counts = ", ".join(f"count(*) FILTER (WHERE s <= {b})" for b in LATENCY_BUCKETS)
    row = conn.execute(
        f"SELECT {counts}, count(*), coalesce(sum(s), 0) FROM (SELECT extract(epoch FROM opened_at - {source}) AS s "
        f"FROM tickets WHERE {source} IS NOT NULL AND opened_at > now() - interval '{LATENCY_WINDOW}') x").fetchone()
    hist = HistogramMetricFamily(
        "fleet_detection_latency_seconds",
        f"Reading {'received' if has_received else 'timestamp'} to ticket stored, tickets opened in the last "
        f"{LATENCY_WINDOW}")
    buckets = [(floatToGoString(b), row[i]) for i, b in enumerate(LATENCY_BUCKETS)] + [("+Inf", row[len(LATENCY_BUCKETS)])]
    hist.add_metric([], buckets, float(row[-1]))
    return hist
