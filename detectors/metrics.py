"""Prometheus metrics of the detectors."""
from prometheus_client import Counter, Histogram

FINDINGS = Counter("fleet_findings_total", "Findings made by detectors", ["fault_code"])
TICKETS_OPENED = Counter("fleet_tickets_opened_total", "Tickets opened", ["fault_code", "severity"])
DETECTION_LATENCY = Histogram("fleet_detection_latency_seconds", "Reading stored by ingest to ticket stored",
                              buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 30, 60))
