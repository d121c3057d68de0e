"""Making paho-mqtt 2.x clients the same way everywhere: MQTT 5, VERSION2 callbacks, reconnect back-off."""
from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

from .settings import MqttTarget

SESSION_EXPIRY_S = 7 * 24 * 3600


def make_client(target: MqttTarget, client_id: str = "", manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5,
                         manual_ack=manual_ack)
    if target.username:
        client.username_pw_set(target.username, target.password)
    if target.tls:
        client.tls_set(ca_certs=target.ca_file)  # verifies the broker's certificate and host name
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.max_queued_messages_set(0)
    return client


def connect(client: mqtt.Client, target: MqttTarget, persistent: bool = False, keepalive: int = 30,
            receive_maximum: int | None = None) -> None:
    """Connect asynchronously (the loop thread finishes it); a persistent session survives our restarts.

    `receive_maximum` caps the unacknowledged QoS 1 messages the broker sends (MQTT 5 flow control).
    """
    props = None
    if persistent or receive_maximum:
        props = Properties(PacketTypes.CONNECT)
        if persistent:
            props.SessionExpiryInterval = SESSION_EXPIRY_S
        if receive_maximum:
            props.ReceiveMaximum = min(receive_maximum, 65535)
    client.connect_async(target.host, target.port, keepalive=keepalive, clean_start=not persistent,
                         properties=props)
