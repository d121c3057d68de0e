"""Private local services under the state dir: a TimescaleDB cluster and a Mosquitto broker.

Never touches the machine's own PostgreSQL or Mosquitto: own data dir, own
config, a free port on 127.0.0.1. As root, PostgreSQL runs as the `postgres`
user (it refuses root), on a data dir that user owns.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)
PG_MAJOR = 15
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
IS_ROOT = os.geteuid() == 0


class ServiceError(RuntimeError):
    pass


def free_port(preferred: int | None = None) -> int:
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise ServiceError("no free port")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# The broker's service accounts (docs/security.md); a vehicle's account is named by its vehicle id.
MQTT_ROLES = ("sim", "ingest", "detect", "ops")
MQTT_ACL = """\
# fleet-health private broker: who may publish and read what (docs/security.md)
# gateway: the simulator, replay and record publish for every vehicle and read everything
user sim
topic readwrite fleet/v1/#

user ingest
topic read fleet/v1/#
topic read $share/ingest/fleet/v1/#

user detect
topic readwrite fleet/v1/tickets/#

user ops
topic read fleet/v1/#

# a vehicle (username = its vehicle id) publishes under its own id only, and reads nothing
pattern write fleet/v1/%u/+
"""


@dataclass
class LocalState:
    pg_dir: str | None = None
    pg_port: int | None = None
    pg_password: str | None = None
    mqtt_dir: str | None = None
    mqtt_port: int | None = None
    mqtt_passwords: dict[str, str] | None = None  # service role -> generated password

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:{self.pg_password}@127.0.0.1:{self.pg_port}/fleet"

    @property
    def mqtt_url(self) -> str:
        """The operator's URL: the `sim` gateway account (publishes for any vehicle, reads everything)."""
        return self.mqtt_url_for("sim")

    def mqtt_url_for(self, role: str) -> str:
        if role not in MQTT_ROLES:
            raise ValueError(f"unknown broker role {role!r}; one of {', '.join(MQTT_ROLES)}")
        if not self.mqtt_passwords:
            raise ServiceError("the local broker has no accounts yet: run `fleet up`")
        return f"mqtt://{role}:{self.mqtt_passwords[role]}@127.0.0.1:{self.mqtt_port}"


class LocalServices:
    """Starts, finds and stops the private TimescaleDB and Mosquitto of one state dir."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir).resolve()  # the cluster's socket path and pg_ctl need it absolute
        self.state_file = self.state_dir / "services.json"

    def load(self) -> LocalState:
        if self.state_file.exists():
            return LocalState(**json.loads(self.state_file.read_text()))
        return LocalState()

    def save(self, state: LocalState) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state), indent=2))
        tmp.chmod(0o600)
        tmp.replace(self.state_file)

    # --- PostgreSQL -----------------------------------------------------------------
    def _pg_dir(self) -> Path:
        """The cluster's folder: in the state dir, unless `postgres` cannot reach it there (e.g. under /root)."""
        wanted = self.state_dir / "pg"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not IS_ROOT:
            return wanted
        probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.state_dir)],
                               capture_output=True)
        if probe.returncode == 0:
            return wanted
        tag = hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:12]
        return Path("/var/lib/fleet-health") / f"pg-{tag}"

    def _as_pg(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        cmd = (["runuser", "-u", "postgres", "--"] if IS_ROOT else []) + args
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def start_postgres(self, state: LocalState) -> None:
        if not (PG_BIN / "initdb").exists():
            raise ServiceError(f"PostgreSQL {PG_MAJOR} server not found in {PG_BIN}: run scripts/setup.sh")
        pg_dir = Path(state.pg_dir) if state.pg_dir else self._pg_dir()
        data = pg_dir / "data"
        if not (data / "PG_VERSION").exists():
            pg_dir.mkdir(parents=True, exist_ok=True)
            if IS_ROOT:
                shutil.chown(pg_dir, "postgres", "postgres")
            state.pg_password = secrets.token_urlsafe(18)
            pwfile = pg_dir / "pwfile"
            pwfile.write_text(state.pg_password + "\n")
            if IS_ROOT:
                shutil.chown(pwfile, "postgres", "postgres")
            pwfile.chmod(0o600)
            r = self._as_pg([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
                             "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"])
            pwfile.unlink()
            if r.returncode != 0:
                raise ServiceError(f"initdb failed: {r.stderr.strip()[-500:]}")
            state.pg_port = free_port(state.pg_port)
            conf = (
                f"\n# fleet-health private cluster\nport = {state.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{data}'\nshared_preload_libraries = 'timescaledb'\n"
                "timescaledb.telemetry_level = off\nmax_connections = 200\nshared_buffers = 256MB\n"
                "synchronous_commit = on\nlog_min_messages = warning\n"
            )
            with open(data / "postgresql.conf", "a") as f:
                f.write(conf)
        state.pg_dir = str(pg_dir)
        self.save(state)
        if self.postgres_running(state):
            return
        if port_open(state.pg_port):
            raise ServiceError(f"port {state.pg_port} is taken by another program; remove {self.state_file}")
        r = self._as_pg([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(pg_dir / "postgres.log"),
                         "-w", "-t", "60", "start"])
        if r.returncode != 0:
            raise ServiceError(f"PostgreSQL did not start: {r.stderr.strip()[-500:]} (log: {pg_dir}/postgres.log)")
        self._create_database(state)

    def _create_database(self, state: LocalState) -> None:
        import psycopg

        admin = state.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'fleet'").fetchone():
                conn.execute("CREATE DATABASE fleet")

    def postgres_running(self, state: LocalState) -> bool:
        if not state.pg_dir:
            return False
        r = self._as_pg([str(PG_BIN / "pg_ctl"), "-D", str(Path(state.pg_dir) / "data"), "status"])
        return r.returncode == 0

    def stop_postgres(self, state: LocalState) -> None:
        if self.postgres_running(state):
            self._as_pg([str(PG_BIN / "pg_ctl"), "-D", str(Path(state.pg_dir) / "data"), "-m", "fast", "-w", "stop"])

    # --- Mosquitto ------------------------------------------------------------------
    def mosquitto_conf(self, state: LocalState) -> Path:
        d = Path(state.mqtt_dir)
        return d / "mosquitto.conf"

    def _write_accounts(self, state: LocalState) -> None:
        """Password file (mosquitto_passwd hashes, 0600) for the service roles, and the ACL file."""
        d = Path(state.mqtt_dir)
        if not state.mqtt_passwords or set(state.mqtt_passwords) != set(MQTT_ROLES):
            old = state.mqtt_passwords or {}
            state.mqtt_passwords = {r: old.get(r) or secrets.token_urlsafe(18) for r in MQTT_ROLES}
        pwfile = d / "passwords"
        if not pwfile.exists():
            pwfile.touch(mode=0o600)
        for role, password in state.mqtt_passwords.items():
            self._passwd(pwfile, role, password)
        acl = d / "acl"
        acl.write_text(MQTT_ACL)
        acl.chmod(0o600)

    @staticmethod
    def _passwd(pwfile: Path, username: str, password: str) -> None:
        r = subprocess.run(["mosquitto_passwd", "-b", str(pwfile), username, password], capture_output=True, text=True)
        if r.returncode != 0:
            raise ServiceError(f"mosquitto_passwd failed: {r.stderr.strip()[-300:]}")
        pwfile.chmod(0o600)

    def add_vehicle_account(self, vehicle_id: str, password: str | None = None) -> str:
        """Give a vehicle its own broker account (it may publish under fleet/v1/{vehicle_id}/ only); returns the password."""
        from fleet_contract.topics import VEHICLE_ID
        if not VEHICLE_ID.fullmatch(vehicle_id) or vehicle_id in MQTT_ROLES:
            raise ValueError(f"not a vehicle id usable as a broker account: {vehicle_id!r}")
        state = self.load()
        password = password or secrets.token_urlsafe(18)
        self._passwd(Path(state.mqtt_dir) / "passwords", vehicle_id, password)
        self.reload_mosquitto(state)
        return password

    def reload_mosquitto(self, state: LocalState) -> None:
        """SIGHUP: the broker re-reads its password and ACL files."""
        pid = self._mosquitto_pid(state)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGHUP)
            time.sleep(0.2)  # the broker reloads between network events

    def start_mosquitto(self, state: LocalState) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise ServiceError("mosquitto not found: run scripts/setup.sh")
        d = self.state_dir / "mqtt"
        (d / "data").mkdir(parents=True, exist_ok=True)
        state.mqtt_dir = str(d)
        if self.mosquitto_running(state):
            if state.mqtt_passwords and (d / "acl").exists():
                return
            self.stop_mosquitto(state)  # started before brokers had accounts: restart it with them
        if not state.mqtt_port or port_open(state.mqtt_port):
            state.mqtt_port = free_port(state.mqtt_port)
        self._write_accounts(state)
        user = pwd.getpwuid(os.geteuid()).pw_name
        # A clean stop saves everything; a crash loses what arrived since the last save (autosave_interval, s).
        # Each save writes the whole store (retained meta/presence of every vehicle), so not every second.
        self.mosquitto_conf(state).write_text(
            f"# fleet-health private broker\nlistener {state.mqtt_port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {d}/passwords\nacl_file {d}/acl\n"
            f"user {user}\npersistence true\npersistence_location {d}/data/\nautosave_interval 10\n"
            f"pid_file {d}/mosquitto.pid\nlog_dest file {d}/mosquitto.log\nlog_type error\nlog_type warning\n"
            "max_queued_messages 1000000\nmax_inflight_messages 1000\nmessage_size_limit 0\n"
        )
        self.save(state)
        r = subprocess.run([exe, "-c", str(self.mosquitto_conf(state)), "-d"], capture_output=True, text=True)
        if r.returncode != 0:
            raise ServiceError(f"mosquitto did not start: {r.stderr.strip()[-500:]}")
        deadline = time.monotonic() + 10
        while not port_open(state.mqtt_port):
            if time.monotonic() > deadline:
                raise ServiceError(f"mosquitto did not open port {state.mqtt_port} (log: {d}/mosquitto.log)")
            time.sleep(0.05)

    def _mosquitto_pid(self, state: LocalState) -> int | None:
        if not state.mqtt_dir:
            return None
        pidfile = Path(state.mqtt_dir) / "mosquitto.pid"
        try:
            return int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def mosquitto_running(self, state: LocalState) -> bool:
        pid = self._mosquitto_pid(state)
        return _pid_alive(pid) and state.mqtt_port is not None and port_open(state.mqtt_port)

    def stop_mosquitto(self, state: LocalState) -> None:
        pid = self._mosquitto_pid(state)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)

    # --- both -----------------------------------------------------------------------
    def up(self, postgres: bool = True, mosquitto: bool = True) -> LocalState:
        state = self.load()
        if postgres:
            self.start_postgres(state)
        if mosquitto:
            self.start_mosquitto(state)
        self.save(state)
        return state

    def down(self) -> None:
        state = self.load()
        self.stop_mosquitto(state)
        self.stop_postgres(state)
