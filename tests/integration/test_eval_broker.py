"""`fleet eval --through-broker` on a tiny fleet: the suite through real Mosquitto, ingest, TimescaleDB and the runner."""
from __future__ import annotations

import psycopg
import pytest

from detectors.evaluation.broker import run_through_broker
from detectors.evaluation.fastpath import run_in_process
from detectors.evaluation.matching import evaluate
from detectors.evaluation.scenario import Suite
from simulator.engine import Simulation

# Faults a tiny, one-day run can show through any path: immediate, rule-based, with no history needed.
IMMEDIATE = ("TIRE_FLAT", "BRAKE_PAD_WORN", "SENSOR_IMPLAUSIBLE", "BATTERY_OVERTEMP", "TIRE_UNDERINFLATED",
             "VEHICLE_SILENT")


@pytest.mark.slow
def test_the_suite_through_the_broker_finds_what_the_fast_path_finds(stack, db):
    suite = Suite(vehicles=20, days=1.0, seed=41, faults_per_code=1)
    through = evaluate(run_through_broker(Simulation(suite.config()), stack.database_url, stack.mqtt, stack.mqtt))
    fast = evaluate(run_in_process(Simulation(suite.config())))
    assert through["readings"] > 0.95 * fast["readings"], (through["readings"], fast["readings"])  # dups once
    for code in IMMEDIATE:
        assert through["codes"][code]["recall"] == 1.0, (code, through["codes"][code])
        assert through["codes"][code]["delay_readings_max"] is None or \
            through["codes"][code]["delay_readings_max"] <= 2
    assert through["false_alarms_per_1000_vehicle_days"] <= 100, through["false_alarm_examples"]  # at most 2
    with psycopg.connect(stack.database_url) as conn:  # the run's own database is gone
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'fleet_eval_%'")]
    assert names == []
