"""One case alone and the same case inside a batch take different code paths (plain Python floats
vs numpy over the batch); they must give the same answers, to rounding."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from supportability.models.calibration import Isotonic, Platt, Temperature

TOLERANCE = 1e-12


def _assert_close(single, batched, path: str = "") -> None:
    if isinstance(single, float):
        assert isinstance(batched, float), path
        assert math.isclose(single, batched, rel_tol=TOLERANCE, abs_tol=TOLERANCE), (path, single, batched)
    elif isinstance(single, list | tuple):
        assert type(single) is type(batched) and len(single) == len(batched), (path, single, batched)
        for k, (a, b) in enumerate(zip(single, batched, strict=True)):
            _assert_close(a, b, f"{path}[{k}]")
    elif isinstance(single, dict):
        assert single.keys() == batched.keys(), path
        for k in single:
            _assert_close(single[k], batched[k], f"{path}.{k}")
    else:
        assert single == batched, (path, single, batched)


def test_a_case_alone_and_in_a_batch_get_the_same_predictions(small_model, small_data):
    model, splits = small_model
    cases = [small_data.cases[i] for i in splits.test[:300]]
    batched = model.predict(cases, top_k=5, article_count=4)
    for case, in_batch in zip(cases, batched, strict=True):
        alone = model.predict([case], top_k=5, article_count=4)[0]
        for name in ("routing", "escalation", "urgency", "csat_risk", "resolution_time", "articles", "decision"):
            _assert_close(getattr(alone, name), getattr(in_batch, name), name)
        assert alone.routing is not None and len(alone.routing) == 5 and len(alone.articles) == 4


def test_explanations_alone_and_in_a_batch_agree(small_model, small_data):
    model, splits = small_model
    cases = [small_data.cases[i] for i in splits.test[:20]]
    batched = model.predict(cases, explain=True)
    for case, in_batch in zip(cases, batched, strict=True):
        _assert_close(model.predict([case], explain=True)[0].explanations, in_batch.explanations)


def test_cases_without_create_time_and_with_unknown_categories(small_model, small_data):
    model, _ = small_model
    case = dataclasses.replace(
        small_data.cases[0], create_time=None, country_code="ZZ", industry="unheard-of", subject="", body="qwertyuiop"
    )  # no known n-gram either
    alone = model.predict([case])[0]
    batched = model.predict([case, small_data.cases[1]])[0]
    _assert_close(alone.routing, batched.routing)
    assert sum(p for _, p in model.predict([case], top_k=100)[0].routing) == pytest.approx(1.0)


def test_top_k_smaller_than_the_decision_needs(small_model, small_data):
    model, _ = small_model
    for cases in (small_data.cases[:1], small_data.cases[:3]):
        result = model.predict(cases, top_k=0)[0]
        assert result.routing == [] and result.decision is not None


def test_calibrators_one_case_equals_the_batch_form():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 4, size=(200, 7))
    for calibrator in (Temperature(0.7, "temperature_floor", 0.03), Temperature(1.3), Temperature(1.0, "none")):
        batch = calibrator(logits)
        for row, expected in zip(logits, batch, strict=True):
            np.testing.assert_allclose(calibrator.one(row.tolist()), expected, rtol=TOLERANCE, atol=TOLERANCE)

    x = np.concatenate([rng.normal(0, 30, 500), [-800.0, 800.0, 0.0]])  # far tails must not overflow
    platt = Platt(1.7, -0.4)
    np.testing.assert_allclose([platt.one(v) for v in x.tolist()], platt(x), rtol=TOLERANCE, atol=1e-300)

    knots = np.sort(rng.normal(0, 2, 40))
    isotonic = Isotonic(knots, np.sort(rng.uniform(0, 1, 40)))
    probes = np.concatenate([knots, rng.normal(0, 3, 500), [knots[0] - 1, knots[-1] + 1]])
    np.testing.assert_allclose(
        [isotonic.one(v) for v in probes.tolist()], isotonic(probes), rtol=TOLERANCE, atol=TOLERANCE
    )
