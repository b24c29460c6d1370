"""Experiments on the request path: where each case of a call goes, and what the shadows score.

Functions over the predictor's `Router` (experiments/router.py): `routes` places each case by its
own unit (a case without the unit field is the caller's error, named by its index), `by_model`
groups a call's cases by the model that answers them (one vectorised call each), and
`shadow_jobs` lists what the shadows score once the caller has its answer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from supportability import errors
from supportability.experiments.router import MissingUnit, Routed, Router
from supportability.experiments.shadow import ShadowJob
from supportability.models import SupportModel
from supportability.v1 import prediction_pb2, support_case_pb2


def routes(
    router: Router,
    cases: Sequence[support_case_pb2.SupportCase],
    requested_version: str,
    request_id: str,
    field: str,
) -> list[Routed] | None:
    """The running experiment's arm of each case, or None when none runs; `field` names a case
    (formatted with its index) in the INVALID_ARGUMENT of cases without the unit field."""
    if not router.live:  # every call passes here: nothing to build when none runs
        return None
    placed, violations = [], []
    for i, case in enumerate(cases):
        try:
            routed = router.route({"merchant_id": case.account.merchant_id, "case_id": case.case_id}, requested_version)
        except MissingUnit as exc:
            unit = "case_id" if exc.unit == "case_id" else "account.merchant_id"
            violations.append(errors.FieldViolation(f"{field.format(i)}.{unit}", str(exc)))
            continue
        if routed is None:  # the experiment stopped during this call
            return None
        placed.append(routed)
    if violations:
        raise errors.invalid_case(violations, request_id)
    return placed


def by_model(placed: Sequence[Routed]) -> list[tuple[SupportModel, list[int]]]:
    """The assigned cases' indexes by the model of their arm, in order of first appearance."""
    groups: dict[int, tuple[SupportModel, list[int]]] = {}
    for i, routed in enumerate(placed):
        assert routed.model is not None  # a request either names its version or has every case assigned
        groups.setdefault(id(routed.model), (routed.model, []))[1].append(i)
    return list(groups.values())


def shadow_jobs(
    placed: Sequence[Routed],
    cases: Sequence[support_case_pb2.SupportCase],
    predictions: Sequence[prediction_pb2.CasePrediction],
) -> list[ShadowJob]:
    """A job for each served case that a shadow experiment's versions score, under its prediction id."""
    if not any(routed.shadows for routed in placed):  # an A/B test or a bandit: every call passes here
        return []
    now = time.monotonic()
    return [
        ShadowJob(routed.assignment.experiment, p.prediction_id, case.SerializeToString(), routed.shadows, now)
        for routed, case, p in zip(placed, cases, predictions, strict=True)
        if routed.shadows
    ]
