"""Prometheus counters of the ingest path."""
from prometheus_client import Counter, Gauge

MESSAGES = Counter("fleet_ingest_messages_total", "MQTT messages taken from the broker", ["kind"])
READINGS = Counter("fleet_readings_ingested_total", "Readings newly stored", ["component"])
DUPLICATES = Counter("fleet_readings_duplicate_total", "Readings already stored (re-delivery), not stored again")
DEADLETTERS = Counter("fleet_deadletters_total", "Rejected messages or readings, by reason", ["reason"])
BATCHES = Counter("fleet_ingest_batches_total", "Batches committed")
QUEUE = Gauge("fleet_ingest_queue_depth", "Messages received and not yet committed")
