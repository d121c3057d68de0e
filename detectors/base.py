"""What every detector shares: the finding it emits and the vehicle facts it may use."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fleet_contract.codes import FAULT_CODES, Severity
from fleet_contract.vehicle_models import VehicleModel


@dataclass(frozen=True)
class VehicleInfo:
    vehicle_id: str
    type: str | None = None
    model: VehicleModel | None = None
    zone: str | None = None


@dataclass
class Finding:
    """A detector's claim that a vehicle has a fault, with the evidence for it."""
    vehicle_id: str
    fault_code: str
    detector: str
    observed_at: datetime  # ts of the reading that showed it
    confidence: float
    evidence: dict = field(default_factory=dict)
    predicted_failure_at: datetime | None = None
    severity: Severity | None = None  # None: the code's default
    received_at: datetime | None = None  # when ingest stored the reading (set by the runner): detection latency

    @property
    def component(self) -> str:
        return FAULT_CODES[self.fault_code].component

    @property
    def effective_severity(self) -> Severity:
        return self.severity or FAULT_CODES[self.fault_code].severity


@dataclass
class Clearance:
    """A detector's word that a fault's condition is gone (a cancel of an open, unassigned ticket may follow)."""
    vehicle_id: str
    fault_code: str
    detector: str
    observed_at: datetime
