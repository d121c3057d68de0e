"""Where the database and the broker are: the environment, else the local services of the state dir.

Each component gets the broker account of its role (docs/security.md); FLEET_MQTT_URL, when set,
overrides them all.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from fleet_contract.db import migrate
from fleet_contract.settings import MqttTarget, Settings

from .services import LocalServices

log = logging.getLogger("fleet.cli")


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    mqtt_url: str
    # role -> broker URL with that role's credentials; empty when FLEET_MQTT_URL names the broker
    role_urls: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def mqtt(self) -> MqttTarget:
        return MqttTarget.parse(self.mqtt_url)

    def for_role(self, role: str) -> "Endpoints":
        """The same endpoints with the broker account of `role` (unchanged if the broker is configured outside)."""
        return replace(self, mqtt_url=self.role_urls.get(role, self.mqtt_url))


def bring_up(settings: Settings, migrate_schema: bool = True, role: str = "sim") -> Endpoints:
    """Start what is not configured (idempotent), bring the schema up to date, and say where everything is.

    `role` picks the local broker account: sim (the operator's gateway), ingest, detect or ops.
    """
    if settings.mqtt_url:
        MqttTarget.parse(settings.mqtt_url)  # fail early on a bad URL
    need_pg, need_mqtt = settings.database_url is None, settings.mqtt_url is None
    state = None
    if need_pg or need_mqtt:
        state = LocalServices(settings.state_dir).up(postgres=need_pg, mosquitto=need_mqtt)
    if need_mqtt:
        from .services import MQTT_ROLES
        role_urls = {r: state.mqtt_url_for(r) for r in MQTT_ROLES}
        endpoints = Endpoints(settings.database_url or state.database_url, role_urls[role], role_urls)
    else:
        endpoints = Endpoints(settings.database_url or state.database_url, settings.mqtt_url)
    if migrate_schema:
        applied = migrate(endpoints.database_url)
        if applied:
            log.info("schema migrated", extra={"applied": applied})
    return endpoints
