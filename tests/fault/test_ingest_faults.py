"""Ingest under faults, each a 100,000-reading QoS 1 stream: every reading stored exactly once.

Each test runs its own TimescaleDB and Mosquitto (it kills and restarts them) and `fleet ingest`
as a real process with a persistent session on the shared subscription.
"""
import time

import pytest

from tests.fault.harness import (MESSAGES, PER_MESSAGE, IngestProcess, OwnStack, Publisher, base_time, report,
                                 stream, wait_rows)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
TOTAL = MESSAGES * PER_MESSAGE


@pytest.fixture
def own_stack(tmp_path):
    stack = OwnStack(tmp_path / "state")
    yield stack
    stack.close()


def run_stream(own_stack, tmp_path, name, fault, shared=False):
    """Publish the stream; `fault(ingest)` runs once a quarter of it is stored; then wait for all of it."""
    ingest = IngestProcess(own_stack, "fault-" + name.replace(" ", "-"), tmp_path / "ingest.log", shared=shared)
    ingest.start()
    time.sleep(1.0)  # its session and shared subscription exist before the first publish
    publisher = Publisher(own_stack.url("sim"), rate_msgs_s=120)
    publishing = publisher.run(stream(base_time()))
    try:
        assert wait_rows(own_stack.state.database_url, TOTAL // 4, 60) >= TOTAL // 4, "stream never got going"
        rows_at_fault = wait_rows(own_stack.state.database_url, 0, 1)
        fault(ingest)
        assert rows_at_fault < TOTAL, "the fault came after the stream ended"
        publishing.join(60)
        acked = publisher.wait_acknowledged(120)
        assert acked == MESSAGES, f"the broker acknowledged {acked} of {MESSAGES} publishes"
        wait_rows(own_stack.state.database_url, TOTAL, 180)
        time.sleep(1.0)  # anything redelivered late shows up as a duplicate attempt, never a row
    finally:
        totals = ingest.stop()
        publisher.close()
    rows, keys, dead = report(name, publisher.sent * PER_MESSAGE, totals, own_stack.state.database_url)
    assert publisher.sent == MESSAGES
    assert (rows, keys, dead) == (TOTAL, TOTAL, 0)


@pytest.mark.parametrize("shared", [False, True], ids=["plain", "shared-subscription"])
def test_kill_9_of_ingest_mid_stream_then_restart(own_stack, tmp_path, shared):
    def fault(ingest):
        ingest.kill9()  # no goodbye: what it received and had not committed was never acknowledged
        time.sleep(2)
        ingest.start()
    run_stream(own_stack, tmp_path, f"kill-9 ingest {'shared' if shared else 'plain'}", fault, shared=shared)


def test_broker_restart_mid_stream(own_stack, tmp_path):
    # A plain persistent subscription: Mosquitto 2.0 does not restore $share subscriptions from its store
    # (docs/scaling in README), so the single-process default is what survives a broker restart.
    run_stream(own_stack, tmp_path, "broker restart", lambda ingest: own_stack.restart_broker(down_s=2))


def test_postgres_stopped_and_started_mid_stream(own_stack, tmp_path):
    run_stream(own_stack, tmp_path, "postgres restart", lambda ingest: own_stack.restart_postgres(down_s=5))
