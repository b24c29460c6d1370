"""training/crossfit.py: every fold scored by a fit on the other folds; a class fit's columns reproduce
scikit-learn's probabilities, two classes included."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from supportability.models.calibration import softmax
from supportability.training.crossfit import class_columns, class_out_of_fold, out_of_fold, stack


def test_each_fold_is_scored_by_a_fit_without_it() -> None:
    x = sp.csr_matrix(np.eye(6))
    folds = [np.array([0, 3]), np.array([1, 4]), np.array([2, 5])]
    seen: list[set[int]] = []

    def fit(rows: np.ndarray) -> np.ndarray:
        seen.append(set(rows.tolist()))
        weights = np.zeros((7, 1))
        weights[rows, 0] = 1.0  # scores 1 on a row the fit saw, 0 on the others
        return weights

    scores = out_of_fold(x, folds, fit)
    assert sorted(map(sorted, seen)) == [[0, 1, 3, 4], [0, 2, 3, 5], [1, 2, 4, 5]]  # fits may run in threads
    np.testing.assert_array_equal(out_of_fold(x, folds, fit, jobs=1), scores)
    np.testing.assert_array_equal(scores[:, 0], np.zeros(6))  # no row was scored by a fit that saw it
    first = np.full((7, 1), 9.0)
    assert out_of_fold(x, folds, fit, first=first)[folds[0], 0].tolist() == [18.0, 18.0]  # weight 9 + bias 9


def test_class_columns_reproduce_the_probabilities_with_two_classes_and_absent_ones() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] + rng.normal(size=200) > 0).astype(int) * 2  # classes 0 and 2 of 3: class 1 absent
    clf = LogisticRegression().fit(x, y)
    weights, bias = class_columns(clf, 3)
    probabilities = softmax(x @ weights + bias)
    np.testing.assert_allclose(probabilities[:, [0, 2]], clf.predict_proba(x), atol=1e-9)
    assert probabilities[:, 1].max() < 1e-12


def test_class_out_of_fold_scores_every_row_and_sample_weights_change_the_fits() -> None:
    rng = np.random.default_rng(1)
    x = sp.csr_matrix(rng.normal(size=(300, 4)))
    y = (x.toarray()[:, 0] > 0).astype(int)
    folds = [np.arange(k, 300, 3) for k in range(3)]
    plain = class_out_of_fold(x, y, folds, (0.1, 1.0), 2, 200)
    assert plain.logits.shape == (300, 2) and plain.c in (0.1, 1.0)
    assert np.mean(plain.logits.argmax(axis=1) == y) > 0.9
    flipped = np.where(y == 1, 0.0, 1.0)  # the class-1 rows weigh nothing: class 1 is never learnt
    weighed = class_out_of_fold(x, y, folds, (0.1, 1.0), 2, 200, flipped)
    assert not np.allclose(weighed.logits, plain.logits)
    assert stack(np.zeros((4, 2)), np.ones(2)).shape == (5, 2)
