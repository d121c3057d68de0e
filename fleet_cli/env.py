"""Where the database and the broker are: the environment, else the local services of the state dir."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fleet_contract.db import migrate
from fleet_contract.settings import MqttTarget, Settings

from .services import LocalServices

log = logging.getLogger("fleet.cli")


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    mqtt_url: str

    @property
    def mqtt(self) -> MqttTarget:
        return MqttTarget.parse(self.mqtt_url)


def bring_up(settings: Settings, migrate_schema: bool = True) -> Endpoints:
    """Start what is not configured (idempotent), bring the schema up to date, and say where everything is."""
    if settings.mqtt_url:
        MqttTarget.parse(settings.mqtt_url)  # fail early on a bad URL
    need_pg, need_mqtt = settings.database_url is None, settings.mqtt_url is None
    state = None
    if need_pg or need_mqtt:
        state = LocalServices(settings.state_dir).up(postgres=need_pg, mosquitto=need_mqtt)
    endpoints = Endpoints(settings.database_url or state.database_url, settings.mqtt_url or state.mqtt_url)
    if migrate_schema:
        applied = migrate(endpoints.database_url)
        if applied:
            log.info("schema migrated", extra={"applied": applied})
    return endpoints
