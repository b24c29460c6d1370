"""Assignment: which arm of an experiment serves a unit (a merchant or a case), as pure functions.

Algorithm version 1 (weighted rendezvous hashing over SHA-256), in full so any language can repeat it:

1. For each arm with a weight above 0, the unit's draw for that arm is
       digest = SHA-256(UTF-8 of salt + ":" + arm + ":" + unit_id)
       bucket = the first 8 bytes of digest, big-endian, shifted right by 11 (a 53-bit integer)
       u      = (bucket + 0.5) / 2**53            (uniform on (0, 1), exact in a double)
2. The arm's score is -ln(u) / weight: an exponential variable of rate `weight`.
3. The unit goes to the arm with the lowest score (the first listed on an exact tie).

The lowest of independent exponentials is arm i with probability weight_i / sum(weights), so the
split is exactly the weights. It is sticky (no state: the same salt, arms and unit give the same
arm) and ramp-safe: raising one arm's weight while the others shrink in proportion lowers only
that arm's scores, so a unit can move into the raised arm and never out of it, nor between the
others. Dropping an arm (a version that fails to load) moves only that arm's units, spread over
the rest by their weights; adding one takes units only into the new arm. GrowthBook's range
buckets move units between untouched arms when a middle range grows; this scheme does not.

Salts and arm names never contain ":", so the hashed string is unambiguous. A new algorithm gets
a new version number; an experiment keeps the version it started with, so its units never move.
`tests/vectors/assignment.json` holds draws and assignments that every implementation must match.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

ALGORITHM_VERSION = 1
SEPARATOR = ":"
_BUCKETS = float(1 << 53)
_sha256, _log = hashlib.sha256, math.log


def bucket(salt: str, arm: str, unit_id: str) -> int:
    """The unit's 53-bit bucket for one arm (step 1)."""
    digest = _sha256(f"{salt}{SEPARATOR}{arm}{SEPARATOR}{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11


def draw(salt: str, arm: str, unit_id: str) -> float:
    """The unit's uniform draw in (0, 1) for one arm."""
    return (bucket(salt, arm, unit_id) + 0.5) / _BUCKETS


def assign(salt: str, weights: Mapping[str, float], unit_id: str) -> str:
    """The arm serving `unit_id`; `weights` in the experiment's arm order, arms of weight 0 never chosen.

    Raises ValueError when no arm has a positive weight. On every request of an experiment's units,
    so `draw` is inlined here (a third of the cost was calls): the vectors test both.
    """
    best, best_score = "", math.inf
    for arm, weight in weights.items():
        if weight <= 0:
            continue
        digest = _sha256(f"{salt}{SEPARATOR}{arm}{SEPARATOR}{unit_id}".encode()).digest()
        score = -_log(((int.from_bytes(digest[:8], "big") >> 11) + 0.5) / _BUCKETS) / weight
        if score < best_score:
            best, best_score = arm, score
    if not best:
        raise ValueError("no arm has a positive weight")
    return best


def check_name(name: str, what: str) -> None:
    """Salts and arm names may not contain the separator (the hashed string must be unambiguous)."""
    if not name or SEPARATOR in name:
        raise ValueError(f"{what} {name!r} must be non-empty and contain no {SEPARATOR!r}")
