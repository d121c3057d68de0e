"""Broker URLs (plain and TLS) and the raw-retention setting: parsing and errors."""
import pytest

from fleet_contract.settings import MqttTarget, Settings


def test_credentials_are_unquoted_and_round_trip():
    t = MqttTarget.parse("mqtt://EB-1:p%2Fw%40rd@broker.example:1884")
    assert (t.host, t.port, t.username, t.password, t.tls) == ("broker.example", 1884, "EB-1", "p/w@rd", False)
    assert MqttTarget.parse(t.url()) == t


def test_mqtts_turns_tls_on_with_its_own_default_port_and_an_optional_ca():
    t = MqttTarget.parse("mqtts://ingest:x@broker.example?cafile=/etc/fleet/ca.crt")
    assert (t.port, t.tls, t.ca_file) == (8883, True, "/etc/fleet/ca.crt")
    assert MqttTarget.parse(t.url()) == t


@pytest.mark.parametrize("url", ["http://h:1883", "mqtt://", "mqtt://h:notaport"])
def test_a_bad_broker_url_is_a_value_error(url):
    with pytest.raises(ValueError):
        MqttTarget.parse(url)


def test_raw_retention_days_default_and_override():
    assert Settings.from_env({}).raw_retention_days == 90
    assert Settings.from_env({"FLEET_RAW_RETENTION_DAYS": "30"}).raw_retention_days == 30
    for bad in ("0", "-1", "ninety"):
        with pytest.raises(ValueError, match="FLEET_RAW_RETENTION_DAYS"):
            Settings.from_env({"FLEET_RAW_RETENTION_DAYS": bad})
