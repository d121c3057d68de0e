"""Fault codes and severities of CONTRACT section 2, and the respond-by times of section 3."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

COMPONENTS = ("battery", "brakes", "tires", "status")


class Severity(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)

    def raised(self) -> "Severity":
        """One level up, capped at critical (escalation)."""
        return SEVERITY_ORDER[min(self.rank + 1, len(SEVERITY_ORDER) - 1)]


SEVERITY_ORDER = (Severity.low, Severity.medium, Severity.high, Severity.critical)

RESPOND_BY = {
    Severity.critical: timedelta(hours=2),
    Severity.high: timedelta(hours=24),
    Severity.medium: timedelta(hours=72),
    Severity.low: timedelta(days=7),
}


@dataclass(frozen=True)
class FaultCode:
    code: str
    component: str  # one of COMPONENTS, or "any"
    severity: Severity
    predictive: bool = False


_CODES = [
    FaultCode("BATTERY_OVERTEMP", "battery", Severity.critical),
    FaultCode("BATTERY_CELL_IMBALANCE", "battery", Severity.high),
    FaultCode("BATTERY_CAPACITY_FADE", "battery", Severity.medium, predictive=True),
    FaultCode("BATTERY_SELF_DISCHARGE", "battery", Severity.high),
    FaultCode("BRAKE_PAD_WEAR", "brakes", Severity.medium, predictive=True),
    FaultCode("BRAKE_PAD_WORN", "brakes", Severity.critical),
    FaultCode("BRAKE_WEAK", "brakes", Severity.critical),
    FaultCode("TIRE_SLOW_LEAK", "tires", Severity.high, predictive=True),
    FaultCode("TIRE_FLAT", "tires", Severity.critical),
    FaultCode("TIRE_UNDERINFLATED", "tires", Severity.medium),
    FaultCode("SENSOR_STUCK", "any", Severity.low),
    FaultCode("SENSOR_IMPLAUSIBLE", "any", Severity.medium),
    FaultCode("VEHICLE_SILENT", "status", Severity.medium),
    FaultCode("FLEET_OUTLIER", "any", Severity.medium),
    FaultCode("SERVICE_DUE", "any", Severity.low),
]

FAULT_CODES: dict[str, FaultCode] = {c.code: c for c in _CODES}
