"""`fleet demo` as a user runs it: injected faults become tickets; a reading published meanwhile becomes a ticket."""
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
import orjson
import pytest

from fleet_cli.services import free_port
from fleet_contract.settings import MqttTarget

INJECTED = {("EB-00001", "BATTERY_OVERTEMP"), ("EB-00002", "BRAKE_PAD_WORN"), ("ES-00001", "TIRE_FLAT")}


@pytest.mark.slow
def test_demo_raises_the_injected_faults_and_answers_a_live_reading(tmp_path):
    port = free_port()
    env = dict(os.environ, FLEET_STATE_DIR=str(tmp_path / "state"), FLEET_API_PORT=str(port))
    env.pop("FLEET_DATABASE_URL", None)
    env.pop("FLEET_MQTT_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "fleet_cli.main", "demo", "--duration", "60"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if line.startswith("Stopping after"):
                break
        text = "".join(banner)
        token = re.search(r"token:\s+(\S+)", text).group(1)
        broker = MqttTarget.parse(re.search(r"broker:\s+(\S+)", text).group(1))
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/", timeout=5).status_code == 200

        ts = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        reading = orjson.dumps({"ts": ts, "soc_pct": 50, "voltage_v": 36.0, "current_a": 10.0, "temp_c": 80,
                                "cell_v_min": 3.6, "cell_v_max": 3.62})
        pub = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", "1", "-t", "fleet/v1/EB-1/battery"]
        if broker.username:
            pub += ["-u", broker.username, "-P", broker.password]
        pub += ["-m", reading.decode()]  # last: the dead-letter publish below swaps it
        subprocess.run(pub, check=True, timeout=10)
        sent = time.monotonic()
        tickets = []
        while time.monotonic() - sent < 5 and not tickets:
            tickets = httpx.get(base + "/api/v1/tickets", params={"vehicle_id": "EB-1"}, headers=headers).json()["data"]
            time.sleep(0.2)
        assert [t["fault_code"] for t in tickets] == ["BATTERY_OVERTEMP"], "no ticket within 5 s"
        subprocess.run(pub, check=True, timeout=10)  # the same reading again: still one reading, one ticket
        subprocess.run(pub[:-2] + ["-m", "not json"], check=True, timeout=10)
        time.sleep(3)
        assert len(httpx.get(base + "/api/v1/tickets", params={"vehicle_id": "EB-1"}, headers=headers).json()["data"]) == 1
        vehicle = httpx.get(base + "/api/v1/vehicles/EB-1", headers=headers).json()
        assert vehicle["latest"]["battery"]["temp_c"] == 80.0
        dead = httpx.get(base + "/api/v1/deadletters", headers=headers).json()
        assert any(d["reason"] == "not_json" and d["topic"] == "fleet/v1/EB-1/battery" for d in dead["data"])

        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run([sys.executable, "-m", "fleet_cli.main", "down"], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, out
    raised = re.findall(r"#\d+\s+(\S+)\s+(\S+)\s+(\S+)", out)
    critical = {(v, c) for v, c, sev in raised if sev == "critical"}
    assert INJECTED <= critical, out
    assert critical - INJECTED <= {("EB-1", "BATTERY_OVERTEMP")}, out
