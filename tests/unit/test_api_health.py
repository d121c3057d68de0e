"""The health score's formula (docs/health.md), component by component."""
from fleet_api.health import health_score, reading_penalties
from fleet_contract.vehicle_models import MODELS

EBIKE = MODELS["urban-e1"]  # pads 4.0 new / 1.0 min, tires 350 kPa, pack limit 60 °C, spread 0.10 V
HEALTHY = {"battery": {"soc_pct": 80, "temp_c": 30, "cell_v_min": 3.9, "cell_v_max": 3.95},
           "brakes": {"pad_front_mm": 3.5, "pad_rear_mm": 3.2}, "tires": {"pressure_kpa": {"front": 350, "rear": 345}}}


def with_(component, **fields):
    latest = {k: dict(v) for k, v in HEALTHY.items()}
    latest[component].update(fields)
    return latest


def test_healthy_vehicle_scores_100_and_nothing_known_scores_100():
    assert health_score([], HEALTHY, EBIKE) == 100
    assert health_score([], {}, None) == 100


def test_ticket_penalties_by_severity_floor_at_zero():
    assert health_score(["critical"]) == 40
    assert health_score(["high", "medium", "low"]) == 50
    assert health_score(["critical", "critical"]) == 0


def test_reading_penalties_against_the_model():
    assert reading_penalties(with_("battery", soc_pct=15), EBIKE)["battery"] == 5
    assert reading_penalties(with_("battery", soc_pct=5), EBIKE)["battery"] == 15
    assert reading_penalties(with_("battery", temp_c=56), EBIKE)["battery"] == 10  # over 60 − 5
    assert reading_penalties(with_("battery", cell_v_min=3.7, cell_v_max=3.85), EBIKE)["battery"] == 10
    assert reading_penalties(with_("battery", soc_pct=5, temp_c=58), EBIKE)["battery"] == 25  # battery adds up
    assert reading_penalties(with_("brakes", pad_front_mm=1.6), EBIKE)["brakes"] == 10  # 20 % of wear left
    assert reading_penalties(with_("brakes", pad_rear_mm=1.2), EBIKE)["brakes"] == 20  # under 10 % left
    assert reading_penalties(with_("tires", pressure_kpa={"front": 290, "rear": 350}), EBIKE)["tires"] == 10
    assert reading_penalties(with_("tires", pressure_kpa={"front": 350, "rear": 120}), EBIKE)["tires"] == 25
    assert reading_penalties(HEALTHY, EBIKE) == {"battery": 0, "brakes": 0, "tires": 0}


def test_unknown_model_counts_only_charge():
    hot = with_("battery", soc_pct=5, temp_c=90)
    assert reading_penalties(hot, None) == {"battery": 15, "brakes": 0, "tires": 0}


def test_a_ticketed_component_is_not_counted_twice():
    flat = with_("tires", pressure_kpa={"front": 350, "rear": 50})
    assert health_score([], flat, EBIKE) == 75
    assert health_score([("critical", "tires")], flat, EBIKE) == 40
    assert health_score([("critical", "battery")], flat, EBIKE) == 15  # a battery ticket: the tire still counts
