"""Soft labels (training/soft_labels.py) and `train --noisy-labels relabel`: a soft row is fitted once per
class with its share of the row's weight, the trainer's class heads fit them, and relabel replaces the
flagged rows' labels by their out-of-fold probabilities in the fits only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from supportability.data.generator import GeneratorConfig, generate
from supportability.training.noise import noisy_label_weights, train_through_noise
from supportability.training.soft_labels import MIN_SHARE, SoftLabels, SoftRows
from supportability.training.trainer import TrainConfig, split, train

NOISY = GeneratorConfig(n_cases=1_500, seed=5, label_noise=0.2)
CONFIG = TrainConfig(seed=5, folds=3)


@pytest.fixture(scope="module")
def noisy_data():
    return generate(NOISY)


def test_a_soft_row_is_fitted_once_per_class_with_its_share_of_the_weight() -> None:
    target = np.full((3, 3), np.nan)
    target[1] = [0.7, 0.295, 0.005]  # the last share is below MIN_SHARE: left out, the rest rescaled
    rows, labels, weights = SoftRows(target).expand(np.arange(3), np.array([2, 0, 1]), np.array([1.0, 2.0, 3.0]))
    assert MIN_SHARE > 0.005
    assert rows.tolist() == [0, 2, 1, 1] and labels.tolist() == [2, 1, 0, 1]
    np.testing.assert_allclose(weights, [1.0, 3.0, 2.0 * 0.7 / 0.995, 2.0 * 0.295 / 0.995])


def test_the_copies_fit_the_soft_cross_entropy() -> None:
    # Soft targets for every row: the fit on the copies is the minimiser of the soft cross-entropy,
    # whose gradient in the bias is the sum over rows of (predicted - target).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    target = 0.1 + 0.7 * rng.dirichlet(np.ones(3), size=200)  # no share below MIN_SHARE
    rows, labels, weights = SoftRows(target).expand(np.arange(200), np.zeros(200, dtype=int), np.ones(200))
    clf = LogisticRegression(C=1e6, max_iter=5_000, tol=1e-10).fit(x[rows], labels, sample_weight=weights)
    gradient = (clf.predict_proba(x) - target).sum(axis=0)
    np.testing.assert_allclose(gradient, 0.0, atol=1e-3)


def test_soft_labels_follow_the_fits_class_order_and_rows() -> None:
    soft = SoftLabels(np.array([4, 9]), ("a", "b", "c"), np.array([[0.5, 0.5, 0.0], [0.2, 0.0, 0.8]]))
    target = soft.encoded(np.array([9, 1, 4]), ("c", "a")).target  # "b" unknown to the fit; row 1 not soft
    np.testing.assert_allclose(target[0], [0.8, 0.2])
    assert np.isnan(target[1]).all()
    np.testing.assert_allclose(target[2], [0.0, 0.5])  # b's share is lost; expand rescales the rest


def test_a_one_hot_soft_label_fits_as_that_label(noisy_data) -> None:
    splits = split(noisy_data, CONFIG)
    moved = splits.train[:40]  # training rows only: the held-out labels that choose C stay as they were
    queues = tuple(sorted(set(noisy_data.labels["queue"].tolist())))
    other = np.array([queues[(queues.index(q) + 1) % len(queues)] for q in noisy_data.labels["queue"][moved]])
    one_hot = (np.array(queues)[None, :] == other[:, None]).astype(float)
    soft, _ = train(noisy_data, CONFIG, splits=splits, soft_labels={"routing": SoftLabels(moved, queues, one_hot)})
    relabelled = noisy_data.labels["queue"].copy()
    relabelled[moved] = other
    hard, _ = train(
        dataclasses.replace(noisy_data, labels={**noisy_data.labels, "queue": relabelled}), CONFIG, splits=splits
    )
    plain, _ = train(noisy_data, CONFIG, splits=splits)
    head = soft.heads["routing"]
    columns = slice(head.start, head.stop)
    np.testing.assert_allclose(soft.w_text[:, columns], hard.w_text[:, columns], atol=1e-6)
    assert not np.allclose(soft.w_text[:, columns], plain.w_text[:, columns], atol=1e-3)
    with pytest.raises(ValueError, match="escalation"):
        train(noisy_data, CONFIG, splits=splits, soft_labels={"escalation": SoftLabels(moved, queues, one_hot)})


def test_relabel_replaces_the_flagged_labels_by_their_probabilities(noisy_data) -> None:
    splits = split(noisy_data, CONFIG)
    relabel = noisy_label_weights(noisy_data, splits, dataclasses.replace(CONFIG, noisy_labels="relabel"))
    soft = relabel.soft_labels["routing"]
    task = relabel.record["tasks"]["routing"]
    assert task["chosen"] == "relabel" and len(soft.rows) == task["flagged"] > 0
    assert np.all(relabel.weights["routing"] == 1.0)
    assert not set(soft.rows.tolist()) & set(splits.test.tolist())  # test rows are never relabelled
    np.testing.assert_allclose(soft.probabilities.sum(axis=1), 1.0)
    # A flagged label is doubted: its own probability is mostly not the largest.
    given = np.array([soft.classes.index(q) for q in noisy_data.labels["queue"][soft.rows]])
    assert np.mean(soft.probabilities.argmax(axis=1) != given) > 0.5
    model, _, record, _ = train_through_noise(noisy_data, dataclasses.replace(CONFIG, noisy_labels="relabel"))
    assert record is not None and record["tasks"]["routing"]["chosen"] == "relabel"
    assert "routing" in model.heads
