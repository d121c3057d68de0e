"""Tire pressure at the reference temperature (ideal gas): the same tire reads less on a cold morning."""
from __future__ import annotations

KELVIN = 273.15
ATMOSPHERE_KPA = 101.325
REFERENCE_C = 20.0


def compensated_kpa(gauge_kpa: float, temp_c: float | None) -> float:
    """Gauge pressure the tire would read at 20 °C (absolute pressure scales with absolute temperature)."""
    if temp_c is None:
        return gauge_kpa
    return (gauge_kpa + ATMOSPHERE_KPA) * (REFERENCE_C + KELVIN) / (temp_c + KELVIN) - ATMOSPHERE_KPA
