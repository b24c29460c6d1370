"""Calibration: each calibrator fixes a deliberately miscalibrated model, and selection picks by ECE."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from supportability.metrics import auroc, binary_ece, expected_calibration_error, multiclass_ece
from supportability.models.calibration import Isotonic, Platt, Temperature, choose_binary, choose_multiclass


def overconfident_multiclass(n=6_000, k=8, seed=0):
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(0, 1.5, (n, k))
    labels = np.array([rng.choice(k, p=p) for p in softmax(true_logits, axis=1)])
    return 3.0 * true_logits, labels  # a model three times too sure of itself


def test_temperature_scaling_repairs_an_overconfident_model():
    logits, labels = overconfident_multiclass()
    fit, test = slice(0, 3_000), slice(3_000, None)
    before = multiclass_ece(softmax(logits[test], axis=1), labels[test])
    scaler = Temperature().fit(logits[fit], labels[fit])
    after = multiclass_ece(scaler(logits[test]), labels[test])
    assert abs(scaler.t - 3.0) < 0.3
    assert before > 0.1 and after < 0.03
    chosen, scores = choose_multiclass(logits[fit], labels[fit])
    assert chosen.method == "temperature" and scores["temperature"] < scores["none"]


def test_binary_calibrators_repair_a_shifted_model_and_keep_ranking():
    rng = np.random.default_rng(1)
    true_logit = rng.normal(-1, 1.2, 8_000)
    y = (rng.random(8_000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    logit = 2.0 * true_logit + 1.5  # overconfident and biased
    fit, test = slice(0, 4_000), slice(4_000, None)
    before = binary_ece(1 / (1 + np.exp(-logit[test])), y[test])
    for calibrator in (Platt(), Isotonic()):
        calibrator.fit(logit[fit], y[fit])
        p = calibrator(logit[test])
        assert binary_ece(p, y[test]) < 0.04
        assert before > 0.1
        assert abs(auroc(p, y[test]) - auroc(logit[test], y[test])) < 0.01  # monotone: ranking kept
    chosen, scores = choose_binary(logit[fit], y[fit])
    assert chosen.method in ("platt", "isotonic") and min(scores["platt"], scores["isotonic"]) < scores["none"]


def test_a_calibrated_model_is_left_alone():
    rng = np.random.default_rng(2)
    logit = rng.normal(0, 1, 6_000)
    y = (rng.random(6_000) < 1 / (1 + np.exp(-logit))).astype(int)
    chosen, _ = choose_binary(logit, y)
    assert binary_ece(chosen(logit), y) < 0.03


def test_ece_definition():
    assert expected_calibration_error(np.array([0.9] * 10), np.array([1] * 9 + [0])) < 1e-9
    assert abs(expected_calibration_error(np.array([0.9] * 10), np.array([1] * 5 + [0] * 5)) - 0.4) < 1e-9
