"""The detector set: one detector per fault code of CONTRACT section 2, and routing by reading component."""
from __future__ import annotations

from fleet_contract.codes import FAULT_CODES

from .base import Detector
from .brake_weak import BrakeWeakDetector
from .capacity_fade import CapacityFadeDetector
from .cell_imbalance import CellImbalanceDetector
from .fleet_outlier import FleetOutlierDetector
from .implausible import SensorImplausibleDetector
from .overtemp import BatteryOvertempDetector
from .pad_wear import BrakePadWearDetector
from .pad_worn import BrakePadWornDetector
from .self_discharge import SelfDischargeDetector
from .sensor_stuck import SensorStuckDetector
from .service_due import ServiceDueDetector
from .silent import VehicleSilentDetector
from .slow_leak import SlowLeakDetector
from .tire_flat import TireFlatDetector
from .underinflated import TireUnderinflatedDetector

DETECTOR_CLASSES: tuple[type[Detector], ...] = (
    BatteryOvertempDetector, CellImbalanceDetector, CapacityFadeDetector, SelfDischargeDetector,
    BrakePadWearDetector, BrakePadWornDetector, BrakeWeakDetector,
    SlowLeakDetector, TireFlatDetector, TireUnderinflatedDetector,
    SensorStuckDetector, SensorImplausibleDetector, VehicleSilentDetector, FleetOutlierDetector, ServiceDueDetector,
)
assert sorted(c.fault_code for c in DETECTOR_CLASSES) == sorted(FAULT_CODES), "one detector per fault code"


def all_detectors() -> list[Detector]:
    """A fresh detector for every fault code, with default parameters."""
    return [cls() for cls in DETECTOR_CLASSES]


def by_component(detectors: list[Detector]) -> dict[str, list[Detector]]:
    """The detectors each reading component is fed to (a detector of "any" sees every component)."""
    out: dict[str, list[Detector]] = {}
    for component in ("battery", "brakes", "tires", "status"):
        out[component] = [d for d in detectors if d.component in (component, "any")]
    return out
