"""Turning one MQTT message into what a batch stores: readings, meta, presence or dead letters. Pure."""
from __future__ import annotations

from datetime import datetime

from fleet_contract import topics
from fleet_contract.payload import Invalid, decode_meta, decode_presence, decode_readings

from .store import Batch, DeadLetter


def add_message(batch: Batch, topic: str, payload: bytes, received_at: datetime) -> str:
    """Add a message's content to the batch; returns its kind for counting ("ignored" for our own tickets)."""
    try:
        parsed = topics.parse(topic)
    except topics.TopicError as exc:
        batch.deadletters.append(DeadLetter(topic, "bad_topic", str(exc), payload, received_at))
        return "rejected"
    if parsed is None:
        return "ignored"
    if parsed.kind == "meta":
        if not payload:  # an empty retained message clears the retained meta: nothing to store
            return "ignored"
        try:
            batch.metas[parsed.vehicle_id] = decode_meta(payload, now=received_at)
        except Invalid as exc:
            batch.deadletters.append(DeadLetter(topic, exc.reason, exc.detail, payload, received_at))
            return "rejected"
        return "meta"
    if parsed.kind == "presence":
        if not payload:
            return "ignored"
        try:
            batch.presence[parsed.vehicle_id] = (decode_presence(payload), received_at)
        except Invalid as exc:
            batch.deadletters.append(DeadLetter(topic, exc.reason, exc.detail, payload, received_at))
            return "rejected"
        return "presence"
    decoded = decode_readings(parsed.vehicle_id, parsed.kind, payload, now=received_at)
    batch.readings.extend(decoded.readings)
    for rej in decoded.rejections:
        batch.deadletters.append(DeadLetter(topic, rej.reason, rej.detail, rej.raw, received_at))
    return parsed.kind
