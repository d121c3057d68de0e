"""The detector contract every detector passes (STYLE.md, River): score before learn, pure scoring,
input not mutated, clone gives a fresh copy, pickle round trip, neutral before learning."""
from __future__ import annotations

import copy
import math
import pickle

import pytest

from detectors.base import Clearance, Detector, Finding
from detectors.registry import DETECTOR_CLASSES, all_detectors, by_component
from fleet_contract.codes import FAULT_CODES

from .detector_streams import BIKE, battery, healthy_day

STREAM = healthy_day(2.0)


def fed(detector: Detector) -> list:
    return [r for r in STREAM if detector.component in (r.component, "any")]


def test_one_detector_per_fault_code():
    assert sorted(c.fault_code for c in DETECTOR_CLASSES) == sorted(FAULT_CODES)
    assert len({c.name for c in DETECTOR_CLASSES}) == len(DETECTOR_CLASSES)
    routes = by_component(all_detectors())
    assert all(routes[c] for c in ("battery", "brakes", "tires", "status"))


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_scoring_never_changes_state_and_scores_are_finite(cls):
    detector = cls()
    for reading in fed(detector)[:400]:
        before = pickle.dumps(detector)
        score = detector.score_one(reading, BIKE)
        assert pickle.dumps(detector) == before, "score_one changed the detector's state"
        assert isinstance(score, float) and math.isfinite(score) and score >= 0.0
        detector.learn_one(reading, BIKE)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_observe_does_not_mutate_its_input_and_returns_its_own_code(cls):
    detector = cls()
    for reading in fed(detector)[:400]:
        kept_reading, kept_vehicle = copy.deepcopy(reading), copy.deepcopy(BIKE)
        out = detector.observe(reading, BIKE)
        assert reading == kept_reading and BIKE == kept_vehicle
        for item in out:
            assert isinstance(item, (Finding, Clearance)) and item.fault_code == cls.fault_code
    assert isinstance(detector.tick(STREAM[-1].ts), list)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_a_healthy_vehicle_raises_nothing(cls):
    detector = cls()
    findings = [f for r in fed(detector) for f in detector.observe(r, BIKE) if isinstance(f, Finding)]
    findings += [f for f in detector.tick(STREAM[-1].ts) if isinstance(f, Finding)]
    assert findings == []


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_clone_is_fresh_with_the_same_parameters(cls):
    detector = cls()
    for reading in fed(detector)[:200]:
        detector.learn_one(reading, BIKE)
    twin = detector.clone()
    assert type(twin) is cls and twin is not detector
    assert twin.get_params() == detector.get_params()
    assert twin.vehicles_ == {} and twin.flagged_ == {}
    assert pickle.dumps(twin) == pickle.dumps(cls(**detector.get_params()))


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_pickle_round_trip_keeps_what_was_learned(cls):
    detector = cls()
    readings = fed(detector)
    for reading in readings[:-50]:
        detector.observe(reading, BIKE)
    restored = pickle.loads(pickle.dumps(detector))
    for reading in readings[-50:]:
        assert restored.score_one(reading, BIKE) == detector.score_one(reading, BIKE)
        assert restored.observe(reading, BIKE) == detector.observe(reading, BIKE)


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_neutral_before_learning(cls):
    """A fresh detector's first look at a vehicle is neutral unless the reading alone breaks a hard limit."""
    detector = cls()
    first = fed(detector)[0]
    assert detector.score_one(first, BIKE) < 1.0
    if cls.grace_period:
        # a pack with a wide spread from its first reading: no baseline yet, so no opinion on widening
        wide = [battery(i, spread=0.05) for i in range(cls.grace_period)]
        fresh = cls()
        for r in wide:
            assert fresh.score_one(r, BIKE) == 0.0
            fresh.learn_one(r, BIKE)


def test_params_are_stored_verbatim():
    for cls in DETECTOR_CLASSES:
        detector = cls()
        assert repr(detector).startswith(cls.__name__ + "(")
        for name, value in detector.get_params().items():
            assert getattr(detector, name) == value


@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_a_fast_observe_equals_score_then_learn(cls):
    """Detectors may override observe for speed; it must do exactly what the base's score-then-learn does."""
    fast, plain = cls(), cls()
    stuck = [battery(600 + i / 2, current=6.0, temp=21.3) for i in range(20)]  # findings too, not only quiet
    for reading in fed(fast)[:300] + [r for r in stuck if fast.component in ("battery", "any")]:
        assert fast.observe(reading, BIKE) == Detector.observe(plain, reading, BIKE)
    assert pickle.dumps(fast.vehicles_) == pickle.dumps(plain.vehicles_)
