from datetime import datetime, timedelta, timezone

from fleet_api.health import health_score
from fleet_contract.codes import Severity
from tickets.rules import due_by

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def test_respond_by_per_severity():
    assert due_by(Severity.critical, T0) == T0 + timedelta(hours=2)
    assert due_by(Severity.high, T0) == T0 + timedelta(hours=24)
    assert due_by(Severity.medium, T0) == T0 + timedelta(hours=72)
    assert due_by(Severity.low, T0) == T0 + timedelta(days=7)


def test_predictive_due_by_is_a_day_before_the_failure_when_sooner():
    assert due_by(Severity.medium, T0, T0 + timedelta(days=2)) == T0 + timedelta(days=1)
    assert due_by(Severity.medium, T0, T0 + timedelta(days=30)) == T0 + timedelta(hours=72)


def test_escalation_raises_one_level_capped():
    assert Severity.medium.raised() is Severity.high
    assert Severity.critical.raised() is Severity.critical


def test_health_score():
    assert health_score([]) == 100
    assert health_score(["critical"]) == 40
    assert health_score(["critical", "high", "medium"]) == 0
