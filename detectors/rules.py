"""The physics rules (limit crossings, no trend), kept under their first names for existing callers.

Each rule now lives in its own module with the shared detector contract (detectors/base.py).
"""
from __future__ import annotations

from .base import LOOSEST_PAD_MIN_MM, LOOSEST_TEMP_LIMIT_C
from .implausible import SensorImplausibleDetector as SensorImplausibleRule
from .overtemp import BatteryOvertempDetector as BatteryOvertempRule
from .pad_worn import BrakePadWornDetector as BrakePadWornRule
from .tire_flat import TireFlatDetector as TireFlatRule

__all__ = ["BatteryOvertempRule", "BrakePadWornRule", "TireFlatRule", "SensorImplausibleRule",
           "LOOSEST_PAD_MIN_MM", "LOOSEST_TEMP_LIMIT_C", "default_rules"]


def default_rules() -> list:
    return [BatteryOvertempRule(), BrakePadWornRule(), TireFlatRule(), SensorImplausibleRule()]
