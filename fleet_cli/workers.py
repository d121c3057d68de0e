"""`fleet ingest --workers N`: N ingest processes sharing the stream through an MQTT 5 shared subscription.

Each worker keeps a stable client id (`{id}-{i}`): its persistent session holds what it had not
acknowledged, so a worker that dies is started again under the same id (after a pause that grows
while it keeps dying) and gets those messages back.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from .env import Endpoints

log = logging.getLogger("fleet.cli")


def run_workers(n: int, ep: Endpoints, client_id: str) -> int:
    env = dict(os.environ, FLEET_DATABASE_URL=ep.database_url, FLEET_MQTT_URL=ep.mqtt_url)
    stop = threading.Event()

    def spawn(i: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "fleet_cli.main", "ingest", "--shared",
                                 "--client-id", f"{client_id}-{i}"], env=env)
    procs = [spawn(i) for i in range(n)]
    backoff = [1.0] * n

    def forward(signum, frame):
        stop.set()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not stop.wait(0.5):
        for i, p in enumerate(procs):
            code = p.poll()
            if code is None or stop.is_set():
                continue
            log.warning("ingest worker exited; restarting it", extra={"worker": i, "code": code,
                                                                       "restart_in_s": backoff[i]})
            if stop.wait(backoff[i]):
                break
            backoff[i] = min(backoff[i] * 2, 30)
            procs[i] = spawn(i)
    return max(p.wait() for p in procs)
