"""The vehicle health score, 0..100, from live tickets and latest readings: pure, documented in docs/health.md."""
from __future__ import annotations

from fleet_contract.vehicle_models import VehicleModel

TICKET_PENALTY = {"critical": 60, "high": 30, "medium": 15, "low": 5}
# Reading penalties (points) by how close a value is to its model's limit.
SOC_LOW_PCT, SOC_LOW_PENALTY = 20.0, 5
SOC_EMPTY_PCT, SOC_EMPTY_PENALTY = 10.0, 15
PAD_NEAR_SHARE, PAD_NEAR_PENALTY = 0.25, 10
PAD_AT_MIN_SHARE, PAD_AT_MIN_PENALTY = 0.10, 20
TIRE_BAND_PENALTY, TIRE_MIN_PENALTY = 10, 25
PACK_HOT_MARGIN_C, PACK_HOT_PENALTY = 5.0, 10
CELL_SPREAD_PENALTY = 10


def reading_penalties(latest: dict[str, dict | None], model: VehicleModel | None) -> dict[str, int]:
    """Points lost per component from its latest reading against the model's limits (0 if unknown)."""
    out = {"battery": 0, "brakes": 0, "tires": 0}
    battery = latest.get("battery") or {}
    soc = battery.get("soc_pct")
    if soc is not None:
        out["battery"] += SOC_EMPTY_PENALTY if soc < SOC_EMPTY_PCT else SOC_LOW_PENALTY if soc < SOC_LOW_PCT else 0
    if model is None:
        return out
    temp = battery.get("temp_c")
    if temp is not None and temp > model.pack_temp_limit_c - PACK_HOT_MARGIN_C:
        out["battery"] += PACK_HOT_PENALTY
    vmin, vmax = battery.get("cell_v_min"), battery.get("cell_v_max")
    if vmin is not None and vmax is not None and vmax - vmin > model.cell_spread_limit_v:
        out["battery"] += CELL_SPREAD_PENALTY
    brakes = latest.get("brakes") or {}
    pads = [p for p in (brakes.get("pad_front_mm"), brakes.get("pad_rear_mm")) if p is not None]
    if pads:
        share = (min(pads) - model.pad_min_mm) / (model.pad_new_mm - model.pad_min_mm)  # wear left, 1 = new
        out["brakes"] = PAD_AT_MIN_PENALTY if share < PAD_AT_MIN_SHARE else PAD_NEAR_PENALTY if share < PAD_NEAR_SHARE else 0
    pressures = [p for p in ((latest.get("tires") or {}).get("pressure_kpa") or {}).values() if p is not None]
    if pressures:
        low = min(pressures)
        out["tires"] = TIRE_MIN_PENALTY if low < model.tire_min_kpa else TIRE_BAND_PENALTY if low < model.tire_band_low_kpa else 0
    return out


def health_score(live_tickets: list[tuple[str, str]] | list[str], latest: dict[str, dict | None] | None = None,
                 model: VehicleModel | None = None) -> int:
    """100 minus ticket penalties (by severity) minus reading penalties of components with no live ticket, in 0..100.

    `live_tickets` is a list of (severity, component), or of severities alone (then every component's reading counts).
    """
    pairs = [(t, None) if isinstance(t, str) else t for t in live_tickets]
    score = 100 - sum(TICKET_PENALTY[sev] for sev, _ in pairs)
    ticketed = {comp for _, comp in pairs}
    # A component with a live ticket is already counted: its reading penalty would count the same fault twice.
    score -= sum(p for comp, p in reading_penalties(latest or {}, model).items() if comp not in ticketed)
    return max(0, min(100, score))
