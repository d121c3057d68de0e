"""The simulated fleet: vehicle ids, models, home zones and their places in the city."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleet_contract.vehicle_models import MODELS, VehicleModel

from .physics import TYPE_PARAMS

CITY_LAT, CITY_LON = 52.52, 13.40
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = 111.2 * np.cos(np.radians(CITY_LAT))

# Named zones: centre and four districts 3-4 km out (km east, km north of the city centre).
ZONES = {
    "centre": (0.0, 0.0),
    "north": (0.5, 4.0),
    "south": (-0.5, -3.5),
    "east": (4.0, 0.3),
    "west": (-4.0, -0.3),
}
ZONE_RADIUS_KM = 1.5


@dataclass(frozen=True)
class Vehicle:
    index: int
    vehicle_id: str
    type: str
    model: VehicleModel
    zone: str

    @property
    def home(self) -> tuple[float, float]:
        """Home zone centre as (lat, lon)."""
        return zone_latlon(self.zone)


def zone_latlon(zone: str) -> tuple[float, float]:
    east, north = ZONES[zone]
    return CITY_LAT + north / KM_PER_DEG_LAT, CITY_LON + east / KM_PER_DEG_LON


def build_fleet(n: int, rng: np.random.Generator) -> list[Vehicle]:
    """About 50 % e-bikes, 35 % e-scooters, 15 % cars; ids numbered per type; models and zones drawn."""
    counts = {"ebike": round(n * TYPE_PARAMS["ebike"].share),
              "escooter": round(n * TYPE_PARAMS["escooter"].share)}
    counts["car"] = max(0, n - counts["ebike"] - counts["escooter"])
    zone_names = list(ZONES)
    vehicles = []
    for vtype, count in counts.items():
        models = [m for m in MODELS.values() if m.type == vtype]
        for i in range(count):
            model = models[int(rng.integers(len(models)))]
            zone = zone_names[int(rng.integers(len(zone_names)))]
            vid = f"{TYPE_PARAMS[vtype].prefix}-{i + 1:05d}"
            vehicles.append(Vehicle(len(vehicles), vid, vtype, model, zone))
    return vehicles
