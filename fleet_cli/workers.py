"""`fleet ingest --workers N`: N ingest processes sharing the stream through an MQTT 5 shared subscription."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from .env import Endpoints


def run_workers(n: int, ep: Endpoints, client_id: str) -> int:
    env = dict(os.environ, FLEET_DATABASE_URL=ep.database_url, FLEET_MQTT_URL=ep.mqtt_url)
    procs = [subprocess.Popen([sys.executable, "-m", "fleet_cli.main", "ingest", "--client-id", f"{client_id}-{i}"],
                              env=env) for i in range(n)]

    def forward(signum, frame):
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [p.wait() for p in procs]
    return max(codes)
