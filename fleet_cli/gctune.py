"""Garbage-collector settings for the long-running, allocation-heavy processes (ingest, detectors)."""
from __future__ import annotations

import gc


def tune_for_throughput() -> None:
    """Freeze what start-up loaded and collect the young generation less often.

    A batch holds hundreds of thousands of short-lived, acyclic objects (readings, their dicts and
    datetimes); with the default threshold of 700 the collector re-scans them over and over
    (measured: 6.4 -> 4.5 us a reading decoded in a 200,000-reading batch).
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
