"""The embedding out-of-scope scores on simulations whose answer is known: Gaussian classes with a
shared covariance, and a cluster that only the covariance tells apart."""

from __future__ import annotations

import numpy as np
import pytest

from supportability.models import scope as scope_module
from supportability.models.scope import OutOfScope

LABELS = ("a", "b", "c")
WIDTH = 5
ROTATION = np.linalg.qr(np.random.default_rng(0).normal(size=(WIDTH, WIDTH)))[0]
# A shared covariance, wide along four directions and thin (sd 0.1) along the last; Ledoit-Wolf's
# shrinkage widens so thin a direction noticeably, so the exact distances are checked on a milder one.
COVARIANCE = ROTATION @ np.diag([1.0, 1.0, 1.0, 1.0, 0.01]) @ ROTATION.T
MILD = ROTATION @ np.diag([1.0, 0.8, 0.6, 0.4, 0.2]) @ ROTATION.T
MEANS = np.array([[4.0, 0, 0, 0, 0], [0, 4.0, 0, 0, 0], [0, 0, 4.0, 0, 0]])


def _sample(rng: np.random.Generator, n: int, covariance: np.ndarray = COVARIANCE) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(len(LABELS), size=n)
    return MEANS[y] + rng.multivariate_normal(np.zeros(WIDTH), covariance, size=n), y


def _probs(y: np.ndarray) -> np.ndarray:
    """Routing probabilities whose top class is y (what nearest_neighbour reads)."""
    probs = np.full((len(y), len(LABELS)), 0.1)
    probs[np.arange(len(y)), y] = 0.8
    return probs


def _scores(scope: OutOfScope, x: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """(the batch path's scores, the one-case path's) of the same cases."""
    logits = np.log(probs)
    batch = scope.scores(logits, probs, 1.0, LABELS, x)
    alone = [scope.score_one(logits[i].tolist(), probs[i].tolist(), 1.0, LABELS, x[i : i + 1]) for i in range(len(x))]
    return batch, alone


@pytest.fixture(scope="module")
def training() -> tuple[np.ndarray, np.ndarray]:
    return _sample(np.random.default_rng(1), 6_000)


def test_mahalanobis_is_the_distance_to_the_nearest_class_mean_under_the_shared_covariance() -> None:
    scope = OutOfScope("mahalanobis", 0.0, 0.95)
    scope.fit(*_sample(np.random.default_rng(1), 6_000, MILD), LABELS)
    x, y = _sample(np.random.default_rng(2), 200, MILD)
    precision = np.linalg.inv(MILD)
    exact = np.min([np.einsum("ij,jk,ik->i", x - mu, precision, x - mu) for mu in MEANS], axis=0)
    batch, alone = _scores(scope, x, _probs(y))
    # Means and covariance estimated from 2,000 cases a class: each mean is off by ~0.05 whitened units.
    np.testing.assert_allclose(np.sqrt(-batch), np.sqrt(exact), atol=0.2)
    assert np.corrcoef(-batch, exact)[0, 1] > 0.99
    np.testing.assert_allclose(alone, batch, rtol=1e-12)


def test_mahalanobis_finds_a_cluster_that_is_near_in_euclidean_distance(training) -> None:
    """Six standard deviations off class a along the thin direction: 0.6 away, closer than most
    of class a's own cases, yet each is flagged at 95% in-scope coverage."""
    rng = np.random.default_rng(3)
    scope = OutOfScope("mahalanobis", 0.0, 0.95)
    scope.fit(*training, LABELS)
    inside, y = _sample(rng, 2_000)
    far = MEANS[0] + 0.6 * ROTATION[:, 4] + rng.multivariate_normal(np.zeros(WIDTH), 0.01 * COVARIANCE, size=500)
    threshold = np.quantile(scope.scores(None, _probs(y), 1.0, LABELS, inside), 0.05)  # type: ignore[arg-type]
    assert np.mean(scope.scores(None, _probs(np.zeros(500, int)), 1.0, LABELS, far) < threshold) > 0.99  # type: ignore[arg-type]
    euclidean = np.linalg.norm(far - MEANS[0], axis=1)
    assert np.median(euclidean) < np.median(np.linalg.norm(inside - MEANS[y], axis=1))


def test_nearest_neighbour_is_the_cosine_to_the_closest_training_case_of_the_top_class(training, monkeypatch) -> None:
    x_train, y_train = training
    monkeypatch.setattr(scope_module, "BANK_PER_CLASS", len(x_train))  # the exact answer reads every case
    scope = OutOfScope("nearest_neighbour", 0.0, 0.95)
    scope.fit(x_train, y_train, LABELS)
    x, y = _sample(np.random.default_rng(4), 100)
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    top = (y + 1) % len(LABELS)  # not always their own class: the score reads the top class
    exact = [float((unit(x_train[y_train == top[i]]) @ unit(x[i : i + 1])[0]).max()) for i in range(len(x))]
    batch, alone = _scores(scope, x, _probs(top))
    np.testing.assert_allclose(batch, exact, rtol=1e-12)
    np.testing.assert_allclose(alone, batch, rtol=1e-12)
    own, _ = _scores(scope, x_train[:20], _probs(y_train[:20]))
    np.testing.assert_allclose(own, 1.0)  # each training case is its own nearest neighbour


def test_the_nearest_neighbour_bank_keeps_a_bounded_sample_of_each_class(training, monkeypatch) -> None:
    x_train, y_train = training
    monkeypatch.setattr(scope_module, "BANK_PER_CLASS", 7)
    scope = OutOfScope("nearest_neighbour", 0.0, 0.95)
    scope.fit(x_train, y_train, LABELS)
    assert scope.bank is not None and scope.bank_offsets is not None
    sizes = np.diff(scope.bank_offsets)
    assert sizes.tolist() == [min(7, int(np.sum(y_train == k))) for k in range(len(LABELS))]
    training_rows = {tuple(np.round(r, 12)) for r in x_train / np.linalg.norm(x_train, axis=1, keepdims=True)}
    assert all(tuple(np.round(r, 12)) in training_rows for r in scope.bank)  # training cases, not made-up ones


def test_out_of_scope_examples_and_empty_classes_are_left_out_of_the_fit(training, monkeypatch) -> None:
    x_train, y_train = training
    monkeypatch.setattr(scope_module, "BANK_PER_CLASS", len(x_train))
    scope = OutOfScope("nearest_neighbour", 0.0, 0.95, label="c")  # c: the out-of-scope examples' label
    scope.fit(x_train, y_train, LABELS)
    assert scope.bank is not None and scope.bank_offsets is not None
    assert len(scope.bank) == np.sum(y_train != 2) and scope.bank_offsets[3] == scope.bank_offsets[2]
    batch, alone = _scores(scope, x_train[:5], _probs(np.full(5, 2)))
    assert batch.tolist() == alone == [-1.0] * 5  # nothing of class c to be near


@pytest.mark.parametrize(
    ("score", "stored"), [("mahalanobis", {"whitening", "centres"}), ("nearest_neighbour", {"bank", "bank_offsets"})]
)
def test_the_fitted_arrays_round_trip_through_a_models_arrays(training, score: str, stored: set[str]) -> None:
    scope = OutOfScope(score, -3.5, 0.95)
    scope.fit(*training, LABELS)
    arrays: dict[str, np.ndarray] = {}
    scope.dump_arrays(arrays, "out_of_scope.")
    assert set(arrays) == {f"out_of_scope.{name}" for name in stored}
    loaded = OutOfScope.load(scope.state(), arrays, "out_of_scope.")
    x, y = _sample(np.random.default_rng(5), 50)
    np.testing.assert_array_equal(_scores(loaded, x, _probs(y))[0], _scores(scope, x, _probs(y))[0])
    assert loaded.state() == scope.state()
