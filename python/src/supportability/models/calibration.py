"""Post-hoc calibration on held-out data: temperature scaling (multi-class), Platt or isotonic (binary).

Multi-class temperature scaling comes in two forms: plain, and with a uniform floor
`(1 - floor) * softmax(z / t) + floor / K`. The floor is what a softmax cannot express when a share of
labels is noise (a case can never be more than 1 - floor certain); the generator's label noise has
exactly that form, and real annotation noise approximates it.

Each calibrator maps raw scores (logits) to probabilities and is stored with the model as plain
arrays. `choose_*` fits the candidates and keeps the one with the lowest ECE under 2-fold
cross-fitting on the held-out set (fit on one half, measure on the other), so the choice is not
judged on the data it was fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, softmax

from supportability.evaluation.metrics import binary_ece, multiclass_ece


@dataclass
class Temperature:
    """(1 - floor) * softmax(logits / t) + floor / K; t = 1, floor = 0 leaves the model unchanged ("none")."""

    t: float = 1.0
    method: str = "temperature"
    floor: float = 0.0

    def fit(self, logits: np.ndarray, labels: np.ndarray) -> Temperature:
        rows = np.arange(len(labels))
        if self.method == "temperature_floor":
            def nll2(theta: np.ndarray) -> float:
                floor = expit(theta[1])
                p = (1 - floor) * softmax(logits / np.exp(theta[0]), axis=1)[rows, labels] + floor / logits.shape[1]
                return -np.log(p).mean()

            theta = minimize(nll2, np.array([0.0, -4.0]), method="Nelder-Mead",
                             options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 400}).x
            self.t, self.floor = float(np.exp(theta[0])), float(expit(theta[1]))
            return self

        def nll(log_t: float) -> float:
            return -log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean()

        self.t = float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))
        return self

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        p = softmax(logits / self.t, axis=-1)
        return (1 - self.floor) * p + self.floor / p.shape[-1] if self.floor else p


@dataclass
class Platt:
    """sigmoid(a * logit + b); a = 1, b = 0 is the identity ("none")."""

    a: float = 1.0
    b: float = 0.0
    method: str = "platt"

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Platt:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e6).fit(logits.reshape(-1, 1), y)
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return expit(self.a * logits + self.b)


@dataclass
class Isotonic:
    """A monotone step function from logit to probability, applied by linear interpolation."""

    x: np.ndarray | None = None
    y: np.ndarray | None = None
    method: str = "isotonic"

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Isotonic:
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4).fit(logits, y)
        self.x, self.y = np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float)
        return self

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return np.interp(logits, self.x, self.y)


def _two_fold(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2:]


def choose_multiclass(logits: np.ndarray, labels: np.ndarray, seed: int = 0) -> tuple[Temperature, dict[str, float]]:
    """'none', temperature or temperature with a floor, whichever has the lowest cross-fitted ECE;
    then refit on all the held-out data."""
    a, b = _two_fold(len(labels), seed)
    scores = {"none": float(np.mean([multiclass_ece(softmax(logits[h], axis=1), labels[h]) for h in (a, b)]))}
    for method in ("temperature", "temperature_floor"):
        scores[method] = float(np.mean([
            multiclass_ece(Temperature(method=method).fit(logits[f], labels[f])(logits[h]), labels[h])
            for f, h in ((a, b), (b, a))
        ]))
    best = min(scores, key=scores.get)
    return (Temperature(1.0, "none") if best == "none" else Temperature(method=best).fit(logits, labels)), scores


def choose_binary(logits: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[Platt | Isotonic, dict[str, float]]:
    """'none', Platt or isotonic, whichever has the lowest cross-fitted ECE; then refit on all."""
    a, b = _two_fold(len(y), seed)
    scores = {"none": np.mean([binary_ece(expit(logits[h]), y[h]) for h in (a, b)])}
    for name, make in (("platt", Platt), ("isotonic", Isotonic)):
        scores[name] = np.mean([binary_ece(make().fit(logits[f], y[f])(logits[h]), y[h]) for f, h in ((a, b), (b, a))])
    best = min(scores, key=scores.get)
    chosen = {"none": lambda: Platt(1.0, 0.0, "none"), "platt": lambda: Platt().fit(logits, y),
              "isotonic": lambda: Isotonic().fit(logits, y)}[best]()
    return chosen, {k: float(v) for k, v in scores.items()}
