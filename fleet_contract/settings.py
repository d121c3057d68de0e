"""Operator settings from the environment (CONTRACT section 6); unset means "use the local default"."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> "MqttTarget":
        """Parse ``mqtt://user:pass@host:port``; a bad URL is a ValueError with the reason."""
        u = urlparse(url)
        if u.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"FLEET_MQTT_URL must start with mqtt://, got {url!r}")
        if not u.hostname:
            raise ValueError(f"FLEET_MQTT_URL has no host: {url!r}")
        return cls(
            host=u.hostname,
            port=u.port or 1883,
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
        )

    def url(self) -> str:
        auth = f"{self.username}:{self.password}@" if self.username else ""
        return f"mqtt://{auth}{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    mqtt_url: str | None
    api_host: str
    api_port: int
    state_dir: Path

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        port = env.get("FLEET_API_PORT", "8000")
        if not port.isdigit():
            raise ValueError(f"FLEET_API_PORT must be a port number, got {port!r}")
        return cls(
            database_url=env.get("FLEET_DATABASE_URL") or None,
            mqtt_url=env.get("FLEET_MQTT_URL") or None,
            api_host=env.get("FLEET_API_HOST", "127.0.0.1"),
            api_port=int(port),
            state_dir=Path(env.get("FLEET_STATE_DIR") or Path.home() / ".local/state/fleet-health").resolve(),
        )
