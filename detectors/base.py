"""What every detector shares: the finding it emits, the vehicle facts it may use, and the River-style base class.

The detector contract (STYLE.md, River): parameters only through the constructor, stored verbatim;
learned state in attributes ending in `_`; `score_one(reading, vehicle) -> float` is higher-is-worse,
never changes state and is 0.0 (neutral) before a vehicle's `grace_period` of learned readings;
`learn_one(reading, vehicle)` updates state. `observe` scores first, then learns (prequential), and
turns a score of at least 1.0 into a Finding; a flagged reading never teaches a baseline, so a
failing vehicle does not become its own normal. `tick(now)` is the clock hook for detectors that
judge the absence of readings or the whole fleet (VEHICLE_SILENT, FLEET_OUTLIER).
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleet_contract.codes import FAULT_CODES, Severity
from fleet_contract.payload import Reading
from fleet_contract.vehicle_models import MODELS, VehicleModel


@dataclass(frozen=True)
class VehicleInfo:
    vehicle_id: str
    type: str | None = None
    model: VehicleModel | None = None
    zone: str | None = None
    # From the vehicle's `meta` when it says (CONTRACT section 1): SERVICE_DUE's starting point.
    last_service_at: datetime | None = None
    last_service_km: float | None = None


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


@dataclass(slots=True)
class Verdict:
    """One assessment: `score` >= 1.0 means the fault is shown; under 0.5 means positively clear."""
    score: float
    confidence: float = 0.0
    evidence: dict | None = None
    predicted_failure_at: datetime | None = None


CLEAR = Verdict(0.0)  # shared "looked, saw nothing wrong"; never mutated

# Limits for a vehicle whose model is not known yet (no `meta` seen): the loosest of the fleet's.
LOOSEST_TEMP_LIMIT_C = max(m.pack_temp_limit_c for m in MODELS.values())
LOOSEST_PAD_MIN_MM = min(m.pad_min_mm for m in MODELS.values())


class Detector:
    """Base of every detector: one fault code, per-vehicle state in `vehicles_`, findings from scores."""
    name = ""
    component = "any"          # the reading component it reads, or "any"
    fault_code = ""
    grace_period = 0           # readings of a vehicle learned before its score may leave 0.0
    clears = False             # emit a Clearance when a flagged vehicle scores clear again
    refresh = timedelta(hours=6)  # a standing fault's evidence is re-sent at most this often

    def __init__(self):
        self.vehicles_: dict = {}
        self.flagged_: dict[str, datetime] = {}

    # ---- the River contract ---------------------------------------------------------------------------------
    def assess(self, reading: Reading, vehicle: VehicleInfo) -> Verdict | None:
        """Pure: the verdict on this reading given what was learned so far (None: nothing to say)."""
        raise NotImplementedError

    def _learn(self, reading: Reading, vehicle: VehicleInfo, verdict: Verdict | None) -> None:
        """Update state from a reading already assessed (skip baselines when verdict.score >= 1)."""

    def score_one(self, reading: Reading, vehicle: VehicleInfo) -> float:
        verdict = self.assess(reading, vehicle)
        return 0.0 if verdict is None else verdict.score

    def learn_one(self, reading: Reading, vehicle: VehicleInfo) -> None:
        self._learn(reading, vehicle, self.assess(reading, vehicle))

    def observe(self, reading: Reading, vehicle: VehicleInfo) -> list:
        """Score first, then learn; the findings (or clearance) the score implies."""
        verdict = self.assess(reading, vehicle)
        self._learn(reading, vehicle, verdict)
        if verdict is None or (verdict.score < 1.0 and reading.vehicle_id not in self.flagged_):
            return []  # the common case, without a call: nothing found, nothing to clear
        return self.report(reading.vehicle_id, reading.ts, verdict)

    def tick(self, now: datetime) -> list:
        """The clock: findings that depend on time passing rather than on a reading."""
        return []

    # ---- findings ---------------------------------------------------------------------------------------------
    def report(self, vehicle_id: str, ts: datetime, verdict: Verdict) -> list:
        """A Finding on a new (or refreshed) fault, a Clearance when a flagged vehicle is clear again."""
        last = self.flagged_.get(vehicle_id)
        if verdict.score >= 1.0:
            if last is not None and ts - last < self.refresh and ts >= last:
                return []
            self.flagged_[vehicle_id] = ts
            return [Finding(vehicle_id, self.fault_code, self.name, ts, round(verdict.confidence, 3),
                            verdict.evidence or {}, verdict.predicted_failure_at)]
        if last is not None and verdict.score < 0.5 and self.clears:
            del self.flagged_[vehicle_id]
            return [Clearance(vehicle_id, self.fault_code, self.name, ts)]
        return []

    # ---- parameters (scikit-learn style) ----------------------------------------------------------------------
    def get_params(self) -> dict:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def clone(self) -> "Detector":
        """A fresh, unlearned detector with the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
