"""The simulator's physics in pure, vectorised functions: weather, demand, battery OCV, tire gas law.

Every function takes numpy arrays (or scalars) and returns the same shape;
none of them keeps state or draws random numbers, so they are unit-tested
directly and the engine stays a loop of array updates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KELVIN = 273.15
ATMOSPHERE_KPA = 101.325
REFERENCE_C = 20.0  # temperature-compensated pressures are quoted at 20 °C

# Cell open-circuit voltage (NMC) against state of charge, in %.
_OCV_SOC = np.array([0.0, 5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 90.0, 100.0])
_OCV_V = np.array([3.00, 3.30, 3.45, 3.55, 3.68, 3.80, 3.95, 4.05, 4.18])


def ocv_cell_v(soc_pct):
    """Open-circuit voltage of one cell at a state of charge (piecewise linear, monotonic)."""
    return np.interp(soc_pct, _OCV_SOC, _OCV_V)


def ambient_c(epoch_s: float, weather_offset_c: float = 0.0) -> float:
    """Outdoor temperature of a Berlin-like city: seasonal mean, a daily cycle peaking mid-afternoon.

    Seasonal mean 10 °C ± 9.5 °C (warmest around 20 July), daily swing ± 4 °C
    (coldest ~03:00, warmest ~15:00 UTC+1). `weather_offset_c` is the
    day-to-day weather the engine draws.
    """
    day = epoch_s / 86400.0
    seasonal = 10.0 + 9.5 * math.cos(2 * math.pi * ((day % 365.2425) - 201.0) / 365.2425)
    hour = (epoch_s / 3600.0 + 1.0) % 24.0
    daily = 4.0 * math.cos(2 * math.pi * (hour - 15.0) / 24.0)
    return seasonal + daily + weather_offset_c


# Relative trip demand per local hour: commute peaks at 08:00 and 17:00-18:00.
_WEEKDAY = np.array([0.15, 0.08, 0.05, 0.04, 0.06, 0.25, 0.8, 1.8, 2.2, 1.3, 0.9, 0.9,
                     1.1, 1.0, 0.9, 1.1, 1.6, 2.1, 1.9, 1.3, 0.9, 0.7, 0.5, 0.3])
_WEEKEND = np.array([0.35, 0.25, 0.15, 0.08, 0.05, 0.08, 0.15, 0.3, 0.6, 1.0, 1.4, 1.6,
                     1.7, 1.7, 1.7, 1.6, 1.5, 1.4, 1.3, 1.1, 0.9, 0.8, 0.7, 0.5])
WEEKDAY_DEMAND = _WEEKDAY / _WEEKDAY.mean()
WEEKEND_DEMAND = _WEEKEND / _WEEKEND.mean()


def demand_factor(epoch_s: float) -> float:
    """Trip demand at a time relative to the day's mean (mean 1.0 over a day), local time UTC+1."""
    local = epoch_s + 3600.0
    weekday = int(local // 86400 + 3) % 7  # 1970-01-01 was a Thursday (3 with Monday = 0)
    hour = (local / 3600.0) % 24.0
    curve = WEEKEND_DEMAND if weekday >= 5 else WEEKDAY_DEMAND
    h0 = int(hour)
    frac = hour - h0
    return float(curve[h0] * (1 - frac) + curve[(h0 + 1) % 24] * frac)


def gauge_at(p_ref_gauge_kpa, temp_c):
    """Gauge pressure at `temp_c` of a tire holding `p_ref_gauge_kpa` at 20 °C (ideal gas, absolute kPa)."""
    absolute = (p_ref_gauge_kpa + ATMOSPHERE_KPA) * (temp_c + KELVIN) / (REFERENCE_C + KELVIN)
    return absolute - ATMOSPHERE_KPA


def gauge_ref(p_gauge_kpa, temp_c):
    """Temperature-compensated pressure: the gauge pressure the same tire would read at 20 °C."""
    absolute = (p_gauge_kpa + ATMOSPHERE_KPA) * (REFERENCE_C + KELVIN) / (temp_c + KELVIN)
    return absolute - ATMOSPHERE_KPA


def relax(value, target, dt_s: float, tau_s):
    """First-order relaxation of `value` toward `target` over `dt_s` (exact for a constant target)."""
    return target + (value - target) * np.exp(-dt_s / tau_s)


@dataclass(frozen=True)
class TypeParams:
    """Behaviour of one vehicle type that the contract's VehicleModel does not say."""
    prefix: str
    share: float                  # of the fleet
    mass_kg: float                # vehicle plus rider
    trips_per_day: float
    trip_median_min: float
    trip_min_min: float
    trip_max_min: float
    speed_kmh: float              # mean riding speed
    power_base_w: float           # draw at standstill while riding (lights, controller)
    power_per_kmh2_w: float       # aerodynamic/rolling draw ~ v^2
    power_per_kmh_w: float        # assist/rolling draw ~ v
    r_cell_ohm: float             # internal resistance per series cell (parallel groups folded in)
    thermal_k_per_w: float        # pack steady-state temperature rise per watt of I^2 R heat
    pack_tau_s: float             # pack thermal time constant
    charge_c_rate: float          # charge current as a fraction of capacity per hour
    standby_a: float              # telematics draw while parked
    brake_wear_mm_per_kj: float   # pad wear per kJ of braking energy (front pad; rear gets 70 %)
    brake_heat_j_per_k: float     # heat capacity of the brake discs
    brakes_per_min: float         # braking events per minute of riding
    tire_ride_heat_k: float       # tire temperature rise while riding
    pad_max_wear_mm_day: float    # worst healthy wear, used to plan pad replacement at service


TYPE_PARAMS = {
    "ebike": TypeParams("EB", 0.50, 100.0, 4.0, 12.0, 3.0, 60.0, 17.0, 40.0, 0.10, 8.0,
                        0.0125, 2.0, 900.0, 0.35, 0.01, 0.0005, 250.0, 1.2, 2.0, 0.045),
    "escooter": TypeParams("ES", 0.35, 90.0, 5.0, 9.0, 2.0, 45.0, 16.0, 30.0, 0.15, 9.0,
                           0.0125, 2.0, 900.0, 0.4, 0.01, 0.00065, 200.0, 1.3, 2.5, 0.045),
    "car": TypeParams("CA", 0.15, 1400.0, 4.0, 18.0, 5.0, 90.0, 28.0, 1500.0, 3.5, 90.0,
                      0.0011, 0.10, 2700.0, 0.2, 0.05, 0.0000072, 16000.0, 0.9, 12.0, 0.03),
}
