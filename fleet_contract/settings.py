"""Operator settings from the environment (CONTRACT section 6); unset means "use the local default"."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # mqtts://: TLS, the broker's certificate verified
    ca_file: str | None = None  # ?cafile=PATH: a private CA instead of the system's

    @classmethod
    def parse(cls, url: str) -> "MqttTarget":
        """Parse ``mqtt://user:pass@host:port`` or ``mqtts://…[?cafile=PATH]``; a bad URL is a ValueError."""
        u = urlparse(url)
        if u.scheme not in ("mqtt", "tcp", "mqtts", "ssl"):
            raise ValueError(f"FLEET_MQTT_URL must start with mqtt:// or mqtts://, got {url!r}")
        if not u.hostname:
            raise ValueError(f"FLEET_MQTT_URL has no host: {url!r}")
        tls = u.scheme in ("mqtts", "ssl")
        try:
            port = u.port
        except ValueError:
            raise ValueError(f"FLEET_MQTT_URL has a bad port: {url!r}") from None
        ca = parse_qs(u.query).get("cafile", [None])[0]
        return cls(
            host=u.hostname,
            port=port or (8883 if tls else 1883),
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
            tls=tls,
            ca_file=ca,
        )

    def url(self) -> str:
        auth = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}@" if self.username else ""
        query = f"?cafile={quote(self.ca_file)}" if self.ca_file else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{auth}{self.host}:{self.port}{query}"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    mqtt_url: str | None
    api_host: str
    api_port: int
    state_dir: Path
    raw_retention_days: int = 90  # FLEET_RAW_RETENTION_DAYS: raw readings kept; hourly rollups kept for good

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        port = env.get("FLEET_API_PORT", "8000")
        if not port.isdigit():
            raise ValueError(f"FLEET_API_PORT must be a port number, got {port!r}")
        days = env.get("FLEET_RAW_RETENTION_DAYS", "90")
        if not days.isdigit() or int(days) < 1:
            raise ValueError(f"FLEET_RAW_RETENTION_DAYS must be a whole number of days, at least 1, got {days!r}")
        return cls(
            raw_retention_days=int(days),
            database_url=env.get("FLEET_DATABASE_URL") or None,
            mqtt_url=env.get("FLEET_MQTT_URL") or None,
            api_host=env.get("FLEET_API_HOST", "127.0.0.1"),
            api_port=int(port),
            state_dir=Path(env.get("FLEET_STATE_DIR") or Path.home() / ".local/state/fleet-health").resolve(),
        )
