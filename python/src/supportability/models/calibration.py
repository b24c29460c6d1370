"""Post-hoc calibration on held-out data: temperature scaling (multi-class), Platt or isotonic (binary).

Multi-class temperature scaling comes in two forms: plain, and with a uniform floor
`(1 - floor) * softmax(z / t) + floor / K`. The floor is what a softmax cannot express when a share of
labels is noise (a case can never be more than 1 - floor certain); the generator's label noise has
exactly that form, and real annotation noise approximates it.

Each calibrator maps raw scores (logits) to probabilities and is stored with the model as plain
arrays. It does so for a batch (`__call__`, numpy) and for one case (`one`, plain Python floats:
a single-case prediction would otherwise spend most of its time in numpy's per-call overhead); the
two agree to rounding, which the tests check.

`choose_*` scores the candidates by ECE under repeated 2-fold cross-fitting on the held-out set (fit
on one half, measure on the other), so the choice is not judged on the data it was fitted to, and
keeps the simplest candidate within one standard error of the best.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax

from supportability.metrics import binary_ece, multiclass_ece


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in plain numpy: scipy's costs ~15 us of overhead per call on the
    tiny arrays of a single-case prediction."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Temperature:
    """(1 - floor) * softmax(logits / t) + floor / K; t = 1, floor = 0 leaves the model unchanged ("none")."""

    t: float = 1.0
    method: str = "temperature"
    floor: float = 0.0

    def fit(self, logits: np.ndarray, labels: np.ndarray) -> Temperature:
        # Here, not at the top: serving only applies calibrators, and scipy.optimize (with the
        # scipy.linalg it loads) is ~20 MB of every server's resident memory.
        from scipy.optimize import minimize, minimize_scalar

        rows = np.arange(len(labels))
        if self.method == "temperature_floor":

            def nll2(theta: np.ndarray) -> float:
                floor = expit(theta[1])
                p = (1 - floor) * softmax(logits / np.exp(theta[0]))[rows, labels] + floor / logits.shape[1]
                return -np.log(p).mean()

            theta = minimize(
                nll2,
                np.array([0.0, -4.0]),
                method="Nelder-Mead",
                options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 400},
            ).x
            self.t, self.floor = float(np.exp(theta[0])), float(expit(theta[1]))
            return self

        def nll(log_t: float) -> float:
            return -log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean()

        self.t = float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))
        return self

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        p = softmax(logits / self.t)
        return (1 - self.floor) * p + self.floor / p.shape[-1] if self.floor else p

    def one(self, logits: list[float]) -> list[float]:
        t = self.t
        top = max(logits) / t  # == max(v / t): division by t > 0 keeps the order
        e = [math.exp(v / t - top) for v in logits]
        total = sum(e)
        if self.floor:
            keep, base = 1 - self.floor, self.floor / len(e)
            return [keep * (v / total) + base for v in e]
        return [v / total for v in e]


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

    def one(self, logit: float) -> float:
        z = self.a * logit + self.b
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)  # this form cannot overflow for very negative z
        return e / (1.0 + e)


@dataclass
class Isotonic:
    """A monotone step function from logit to probability, applied by linear interpolation."""

    x: np.ndarray | None = None
    y: np.ndarray | None = None
    method: str = "isotonic"

    def __post_init__(self) -> None:
        self._points()

    def _points(self) -> None:
        # The knots as Python lists, for `one`.
        self._xs = [] if self.x is None else self.x.tolist()
        self._ys = [] if self.y is None else self.y.tolist()

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Isotonic:
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4).fit(logits, y)
        self.x, self.y = np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float)
        self._points()
        return self

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        assert self.x is not None and self.y is not None, "fit the calibrator first"
        return np.interp(logits, self.x, self.y)

    def one(self, logit: float) -> float:
        """np.interp for one value: clipped to the end knots, linear between knots."""
        xs, ys = self._xs, self._ys
        j = bisect_right(xs, logit) - 1
        if j < 0:
            return ys[0]
        if j >= len(xs) - 1 or xs[j] == logit:
            return ys[j]
        return (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]) * (logit - xs[j]) + ys[j]


Calibrator = Temperature | Platt | Isotonic  # what a head holds once calibrated

REPEATS = 10  # random 2-fold splits of the held-out set per candidate, for up to REPEATS_CASES cases
REPEATS_CASES = 5_000  # beyond, fewer splits (at least 3): the noise of one split falls as 1/sqrt(cases)


def _two_fold(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 :]


def _choose(
    candidates: dict[str, Callable[[np.ndarray, np.ndarray], float]], n: int, seed: int
) -> tuple[str, dict[str, float]]:
    """The simplest candidate whose cross-fitted ECE is within one standard error of the best one's.

    `candidates` maps a name (simplest first) to ECE(fit on one half, measured on the other). One
    2-fold split of a few thousand cases is noisy (ECE moves by ~0.005 from split to split), so each
    candidate is scored on the same REPEATS splits and a more flexible calibrator must beat a
    simpler one by more than that noise: otherwise the choice would follow the noise.
    """
    repeats = max(3, min(REPEATS, round(REPEATS * REPEATS_CASES / max(n, 1))))
    splits = [_two_fold(n, seed + r) for r in range(repeats)]
    ece = {
        name: np.array([np.mean([measure(f, h), measure(h, f)]) for f, h in splits])
        for name, measure in candidates.items()
    }
    best = min(ece, key=lambda name: ece[name].mean())
    for name, scores in ece.items():  # simplest first
        difference = scores - ece[best]
        if difference.mean() <= difference.std(ddof=1) / np.sqrt(repeats):
            return name, {k: float(v.mean()) for k, v in ece.items()}
    raise AssertionError("unreachable: the best candidate is within noise of itself")


def choose_multiclass(logits: np.ndarray, labels: np.ndarray, seed: int = 0) -> tuple[Temperature, dict[str, float]]:
    """'none', temperature or temperature with a floor (see `_choose`); then refit on all the held-out data."""

    def fitted(method: str) -> Callable[[np.ndarray, np.ndarray], float]:
        return lambda f, h: multiclass_ece(Temperature(method=method).fit(logits[f], labels[f])(logits[h]), labels[h])

    best, scores = _choose(
        {
            "none": lambda _f, h: multiclass_ece(softmax(logits[h]), labels[h]),
            "temperature": fitted("temperature"),
            "temperature_floor": fitted("temperature_floor"),
        },
        len(labels),
        seed,
    )
    return (Temperature(1.0, "none") if best == "none" else Temperature(method=best).fit(logits, labels)), scores


def choose_binary(logits: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[Platt | Isotonic, dict[str, float]]:
    """'none', Platt or isotonic (see `_choose`); then refit on all the held-out data."""

    def fitted(make: type[Platt] | type[Isotonic]) -> Callable[[np.ndarray, np.ndarray], float]:
        return lambda f, h: binary_ece(make().fit(logits[f], y[f])(logits[h]), y[h])

    best, scores = _choose(
        {
            "none": lambda _f, h: binary_ece(expit(logits[h]), y[h]),
            "platt": fitted(Platt),
            "isotonic": fitted(Isotonic),
        },
        len(y),
        seed,
    )
    refits: dict[str, Callable[[], Platt | Isotonic]] = {
        "none": lambda: Platt(1.0, 0.0, "none"),
        "platt": lambda: Platt().fit(logits, y),
        "isotonic": lambda: Isotonic().fit(logits, y),
    }
    return refits[best](), scores
