"""The CLI's promises: a wrong argument is one line and exit status 2, never a traceback."""
import subprocess
import sys

import pytest


def fleet(*args):
    return subprocess.run([sys.executable, "-m", "fleet_cli.main", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["bogus"], ["demo", "--duration", "soon"], ["demo", "--vehicles", "0"],
                                  ["token", "create", "--role", "boss"], ["ingest", "--workers", "-1"]])
def test_wrong_argument_is_one_line_and_status_2(args):
    r = fleet(*args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr
    assert "Traceback" not in r.stderr


def test_every_command_has_help():
    for cmd in ["up", "down", "demo", "ingest", "detect", "api", "token", "sim", "replay", "record", "eval"]:
        r = fleet(cmd, "--help")
        assert r.returncode == 0 and "usage: fleet" in r.stdout, cmd


def test_bad_environment_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "fleet_cli.main", "up"], capture_output=True, text=True, timeout=60,
                       env={"FLEET_MQTT_URL": "http://nope", "FLEET_STATE_DIR": str(tmp_path), "PATH": "/usr/bin"})
    assert r.returncode == 2 and "FLEET_MQTT_URL must start with mqtt://" in r.stderr
