"""The outcome metrics an experiment reads per arm, as rows of the online loop's `OutcomeFrame`.

Each metric says which rows count and the value of each (rows without an outcome count only where
said); `PRIMARY` maps a bandit's reward to the metric it is. The readout (readout.py), the bandit's
updates, the shadow readout and off-policy evaluation all read them here, so the bandit, which the
server updates, needs none of the readout's statistics (scipy's).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from supportability.online.store import OutcomeFrame

CATCH_THRESHOLD = 0.5  # an escalation is "caught" when its predicted probability reaches this


def _routing_known(f: OutcomeFrame) -> np.ndarray:
    served = np.array([bool(r) for r in f.routing], dtype=bool)
    return np.asarray((f.resolved_queue != "") & ~f.outside_label_set & served, dtype=bool)


def _top1(f: OutcomeFrame) -> np.ndarray:
    return np.array([r[0][0] if r else "" for r in f.routing], dtype=object)


def _correct(f: OutcomeFrame) -> np.ndarray:
    return np.asarray(f.resolved_queue == _top1(f), dtype=bool)


def _accepted(f: OutcomeFrame) -> tuple[np.ndarray, np.ndarray]:
    """An auto-route that stuck: not overridden, and (when the queue is known) the right queue."""
    auto = f.decision_action == "auto_route"
    overridden = f.decision_overridden == 1
    wrong = _routing_known(f) & ~_correct(f)
    judged = (f.decision_action != "") & f.has_outcome
    return judged, (auto & ~overridden & ~wrong).astype(float)


# metric -> (which rows count, the value of each row); rows without an outcome count only where said.
METRICS: dict[str, Callable[[OutcomeFrame], tuple[np.ndarray, np.ndarray]]] = {
    "routing_accuracy": lambda f: (_routing_known(f), _correct(f).astype(float)),
    "decision_precision": lambda f: (
        (f.decision_action == "auto_route") & _routing_known(f),
        _correct(f).astype(float),
    ),
    "decision_coverage": lambda f: (f.decision_action != "", (f.decision_action == "auto_route").astype(float)),
    "auto_route_accepted": _accepted,
    "escalation_catch_rate": lambda f: (
        f.escalated == 1,
        (np.nan_to_num(f.escalation_probability, nan=0.0) >= CATCH_THRESHOLD).astype(float),
    ),
    "csat_good": lambda f: (np.isfinite(f.csat_bad), 1.0 - np.nan_to_num(f.csat_bad)),
}
PRIMARY = {
    "routing_correct": "routing_accuracy",
    "auto_route_accepted": "auto_route_accepted",
    "csat_good": "csat_good",
}
