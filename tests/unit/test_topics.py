import pytest

from fleet_contract import topics


def test_parse_reading_topics():
    assert topics.parse("fleet/v1/EB-00042/battery") == topics.Topic("EB-00042", "battery")
    assert topics.parse("fleet/v1/CA_1/meta").kind == "meta"


def test_own_ticket_topics_are_not_telemetry():
    assert topics.parse("fleet/v1/tickets/north") is None


@pytest.mark.parametrize("topic", [
    "fleet/v1/EB-1/engine", "fleet/v1/EB-1", "fleet/v1/EB-1/battery/extra", "fleet/v2/EB-1/battery",
    "fleet/v1/EB 1/battery", "fleet/v1/" + "x" * 65 + "/battery", "fleet/v1//battery",
])
def test_anything_else_is_rejected(topic):
    with pytest.raises(topics.TopicError):
        topics.parse(topic)
