"""The fleet's vehicle models: specifications shared by the simulator (physics) and detectors (limits)."""
from __future__ import annotations

from dataclasses import dataclass

VEHICLE_TYPES = ("ebike", "escooter", "car")


@dataclass(frozen=True)
class VehicleModel:
    name: str
    type: str  # one of VEHICLE_TYPES
    battery_capacity_ah: float
    nominal_voltage_v: float
    cells_series: int
    tire_positions: tuple[str, ...]
    tire_recommended_kpa: float
    pad_new_mm: float
    pad_min_mm: float
    pack_temp_limit_c: float
    full_decel_mps2: float  # deceleration a healthy brake reaches at 100 % lever
    service_interval_days: int
    service_interval_km: float
    cell_spread_limit_v: float = 0.10

    @property
    def tire_min_kpa(self) -> float:
        """Lowest safe pressure: 75 % of recommended (the end of a slow leak)."""
        return 0.75 * self.tire_recommended_kpa

    @property
    def tire_band_low_kpa(self) -> float:
        """Bottom of the recommended band (under it: underinflated)."""
        return 0.85 * self.tire_recommended_kpa

    @property
    def pack_energy_wh(self) -> float:
        return self.battery_capacity_ah * self.nominal_voltage_v


TWO_WHEEL = ("front", "rear")
FOUR_WHEEL = ("fl", "fr", "rl", "rr")

MODELS: dict[str, VehicleModel] = {m.name: m for m in (
    VehicleModel("urban-e1", "ebike", 14.0, 36.0, 10, TWO_WHEEL, 350.0, 4.0, 1.0, 60.0, 4.5, 90, 1500),
    VehicleModel("cargo-e2", "ebike", 17.5, 48.0, 13, TWO_WHEEL, 300.0, 4.5, 1.0, 60.0, 4.0, 90, 1500),
    VehicleModel("kick-s1", "escooter", 10.4, 36.0, 10, TWO_WHEEL, 345.0, 3.5, 1.0, 60.0, 4.0, 60, 1000),
    VehicleModel("kick-s2", "escooter", 15.0, 48.0, 13, TWO_WHEEL, 345.0, 3.5, 1.0, 60.0, 4.2, 60, 1000),
    VehicleModel("city-c1", "car", 150.0, 350.0, 96, FOUR_WHEEL, 250.0, 11.0, 3.0, 55.0, 8.0, 365, 15000),
)}

# Limits for a vehicle whose model is not known yet (no `meta` seen): the loosest of the fleet's.
DEFAULT_MODEL_FOR_TYPE = {"ebike": "urban-e1", "escooter": "kick-s1", "car": "city-c1"}


def model_for(model: str | None, vtype: str | None = None) -> VehicleModel | None:
    """The model by name, else the type's default model, else None (unknown vehicle)."""
    if model and model in MODELS:
        return MODELS[model]
    if vtype and vtype in DEFAULT_MODEL_FOR_TYPE:
        return MODELS[DEFAULT_MODEL_FOR_TYPE[vtype]]
    return None
