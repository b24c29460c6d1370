"""The embedding out-of-scope scores in a trained model: fitted on the student's hidden layer, stored
in the registry beside its weights, read back, and the same for a case alone as in a batch."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.models.heads import SCOPE_PREFIX
from supportability.registry import Registry
from supportability.training.neural_config import NeuralConfig
from supportability.training.pipeline import train_and_register

TINY = NeuralConfig.for_kind("student", max_epochs=3, hidden=16, text_weighting="counts", char_ngrams=None)
STORED = {"mahalanobis": {"whitening", "centres"}, "nearest_neighbour": {"bank", "bank_offsets"}}


@pytest.fixture(scope="module")
def data():
    return generate(GeneratorConfig(n_cases=600, seed=5))


@pytest.fixture(scope="module", params=sorted(STORED))
def registered(request, data, tmp_path_factory) -> tuple[str, Path, str]:
    """(score, registry, version) of a tiny student trained with that out-of-scope score."""
    path = tmp_path_factory.mktemp(request.param)
    config = dataclasses.replace(TINY, scope_score=request.param)
    version = train_and_register(data, path, kind="student", neural=config, report=False)
    return request.param, path, version


def test_the_score_is_fitted_stored_and_read_back(registered) -> None:
    score, path, version = registered
    model = Registry(path).load(version)
    scope = model.out_of_scope
    assert scope is not None and scope.score == score
    width = model.b_hidden.shape[0]
    for name in STORED[score]:
        assert getattr(scope, name) is not None
    if score == "mahalanobis":
        assert scope.whitening.shape == (width, width) and len(scope.centres) == len(model.heads["routing"].labels)
    else:
        assert scope.bank.shape[1] == width and scope.bank_offsets[-1] == len(scope.bank)
    with np.load(path / "versions" / version / "arrays.npz", allow_pickle=False) as arrays:
        assert {k[len(SCOPE_PREFIX) :] for k in arrays.files if k.startswith(SCOPE_PREFIX)} == STORED[score]
    # Calibrated on held-out in-scope cases to the targeted coverage.
    assert scope.in_scope_coverage == 0.95 and np.isfinite(scope.threshold)


def test_a_case_alone_gets_the_score_and_decision_it_gets_in_a_batch(registered, data) -> None:
    _, path, version = registered
    model = Registry(path).load(version)
    cases = data.cases[:60]
    scores, state = model.raw_scores(cases)
    _, _, in_batch = model.decide(scores, model.probabilities(scores)["routing"], state)
    alone = []
    for case in cases:
        s, st = model.raw_scores([case])
        alone.append(model.decide(s, model.probabilities(s)["routing"], st)[2][0])
    np.testing.assert_allclose(alone, in_batch, rtol=1e-9, atol=1e-9)
    # A threshold in the middle of these cases' scores, so that both reasons occur.
    model.out_of_scope.threshold = float(np.median(in_batch))
    reasons = [r.decision_reason for r in model.predict(cases)]
    assert reasons.count("out_of_scope") >= 20
    assert [model.predict([case])[0].decision_reason for case in cases] == reasons


def test_evaluation_flags_the_cases_that_predict_flags(registered, data) -> None:
    _, path, version = registered
    model = Registry(path).load(version)
    held = data.subset(np.arange(200))
    flagged = np.mean([r.decision_reason == "out_of_scope" for r in model.predict(held.cases)])
    assert flagged > 0 and evaluate(model, held).get("decision", "out_of_scope_share") == pytest.approx(flagged)
