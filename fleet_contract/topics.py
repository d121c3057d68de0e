"""MQTT topic names of CONTRACT section 1: building them and parsing what arrives."""
from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "fleet/v1/"
READING_KINDS = ("battery", "brakes", "tires", "status")
KINDS = READING_KINDS + ("meta", "presence")
VEHICLE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TICKETS_SEGMENT = "tickets"

SUBSCRIPTION = "fleet/v1/#"
SHARED_GROUP = "ingest"


@dataclass(frozen=True)
class Topic:
    vehicle_id: str
    kind: str  # one of KINDS


class TopicError(ValueError):
    pass


def parse(topic: str) -> Topic | None:
    """Parse a telemetry topic; None for the system's own ticket topics; TopicError for anything else."""
    if not topic.startswith(PREFIX):
        raise TopicError(f"topic outside {PREFIX}")
    parts = topic[len(PREFIX):].split("/")
    if len(parts) == 2 and parts[0] == TICKETS_SEGMENT:
        return None
    if len(parts) != 2:
        raise TopicError("topic must be fleet/v1/{vehicle_id}/{component}")
    vehicle_id, kind = parts
    if not VEHICLE_ID.fullmatch(vehicle_id):
        raise TopicError("vehicle_id must be 1-64 characters of A-Z a-z 0-9 _ -")
    if kind not in KINDS:
        raise TopicError(f"unknown component {kind[:32]!r}")
    return Topic(vehicle_id, kind)


def reading_topic(vehicle_id: str, kind: str) -> str:
    return f"{PREFIX}{vehicle_id}/{kind}"


def ticket_topic(zone: str | None) -> str:
    return f"{PREFIX}{TICKETS_SEGMENT}/{zone or 'unknown'}"
