"""Drift: PSI against the training reference, on simulated traffic whose shift is known, and the
reference that training now writes into the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation import reference as ref
from supportability.features.summary import CATEGORICAL_INPUTS, NUMERIC_INPUTS
from supportability.online.drift import MIN_DRIFT_CASES, NO_REFERENCE, SHIFT_FROM, STABLE_BELOW, drift, drift_columns
from supportability.online.synthetic import SimulationConfig, simulate, simulated_reference, to_frame
from supportability.registry import Registry
from supportability.training import TrainConfig, train_and_register

CONFIG = SimulationConfig(n=5_000, versions=("v1",))


@pytest.fixture(scope="module")
def reference():
    return json.loads(json.dumps(simulated_reference(CONFIG)))  # as the manifest holds it


def _drift(shift: float, reference, seed: int = 1, n: int = 5_000):
    sim = simulate(SimulationConfig(n=n, seed=seed, versions=("v1",), shift=shift))
    return drift("v1", drift_columns(to_frame(sim)), np.arange(n), reference)


def test_unshifted_traffic_is_stable_on_every_input_and_output(reference):
    d = _drift(0.0, reference)
    assert len(d.scores) == len(CATEGORICAL_INPUTS) + len(NUMERIC_INPUTS) + 3
    assert all(s.psi is not None and s.psi < STABLE_BELOW and s.level == "stable" for s in d.scores), d.scores


def test_shifted_traffic_raises_psi_above_the_threshold_where_it_moved(reference):
    scores = {s.name: s for s in _drift(0.6, reference).scores}
    for moved in ("channel", "body_chars", "subject_chars", "disputes_30d"):
        assert scores[moved].psi >= SHIFT_FROM and scores[moved].level == "shift", scores[moved]
    assert scores["top1_queue"].psi >= STABLE_BELOW  # the routing mix moved with the inputs
    for unmoved in ("language", "support_plan", "monthly_volume_usd", "failed_payouts_30d"):
        assert scores[unmoved].psi < STABLE_BELOW, scores[unmoved]
    # A milder shift reads lower: PSI grows with the distance.
    none, milder = ({s.name: s.psi for s in _drift(shift, reference).scores} for shift in (0.0, 0.2))
    assert none["channel"] < milder["channel"] < scores["channel"].psi


def test_no_reference_and_thin_data_give_answers_not_errors(reference):
    columns = drift_columns(to_frame(simulate(CONFIG)))
    missing = drift("old", columns, np.arange(100), None)
    assert missing.note == NO_REFERENCE and missing.scores == ()
    thin = drift("v1", columns, np.arange(MIN_DRIFT_CASES - 1), reference)
    assert all(s.psi is None and s.note.startswith("not enough data") for s in thin.scores)
    assert thin.worst is None


def test_binning_counts_repeated_values_and_unseen_categories():
    summary = ref.numeric_summary(np.array([0.0] * 70 + [1.0] * 20 + [5.0] * 10))
    assert summary["edges"] == [0.0, 1.0]  # deciles of mostly-zero counts merge instead of making empty bins
    assert summary["proportions"] == pytest.approx([0.7, 0.2, 0.1, 0.0])  # <= 0, (0, 1], > 1, missing
    live = ref.numeric_proportions(np.array([0.0, 7.0, np.nan, 1.0]), summary["edges"])
    assert live == pytest.approx([0.25, 0.25, 0.25, 0.25])
    column = ref.encode(["email", "chat", "email", None, "fax"])
    assert ref.categorical_summary(column)["proportions"] == pytest.approx(
        {"": 0.2, "chat": 0.2, "email": 0.4, "fax": 0.2}
    )
    assert ref.categorical_proportions(column, ["email", "chat"]) == pytest.approx([0.4, 0.2, 0.4])  # unseen last


def test_training_writes_the_reference_into_the_manifest(tmp_path):
    data = generate(GeneratorConfig(n_cases=1_000, seed=21))
    version = train_and_register(data, tmp_path, config=TrainConfig(seed=21), promote=False, report=False)
    reference = Registry(tmp_path).manifest(version)["drift_reference"]
    assert set(reference["inputs"]) == set(CATEGORICAL_INPUTS) | set(NUMERIC_INPUTS)
    assert set(reference["outputs"]) == {"top1_queue", "top1_probability", "escalation_probability"}
    for summary in (*reference["inputs"].values(), *reference["outputs"].values()):
        shares = summary["proportions"]
        assert sum(shares.values() if isinstance(shares, dict) else shares) == pytest.approx(1.0)
    assert reference["case_counts"]["inputs"] > reference["case_counts"]["outputs"] > 0
