"""Simulated prediction logs whose truth is known, for the online metrics' tests and the report bench.

Every served probability is calibrated by construction: each outcome is drawn from the very
probabilities the "model" served. So the live precision, the label-free accuracy estimate and the
calibration error each have a known right answer, and an interval either covers it or not.
`shift` moves the inputs (and the routing mix) away from the reference distribution, as the
generator's drift knob does, so a drift measure can be checked to rise with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from supportability.domain import CHANNELS, INTEGRATION_TYPES, SUPPORT_PLANS
from supportability.features.summary import CATEGORICAL_INPUTS, NUMERIC_INPUTS
from supportability.online.store import LoggedPrediction, OutcomeFrame, OutcomeValues, OutcomeWrite

LANGUAGES = ("en", "de", "fr", "es")
Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. Times are POSIX seconds; `shift` in [0, 1] moves the inputs off the reference."""

    n: int = 10_000
    seed: int = 0
    versions: tuple[str, ...] = ("sim-a", "sim-b")
    queues: tuple[str, ...] = tuple(f"queue_{k:02d}" for k in range(12))
    start: float = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    days: float = 7.0
    label_share: float = 0.8  # of predictions, the share whose outcome has arrived
    outside_share: float = 0.01  # of outcomes, the share resolved in a queue the model never knew
    threshold: float = 0.8  # auto-route when the top-1 probability reaches it
    sharpness: float = 2.5  # the spread of the routing logits: higher, more confident
    top_k: int = 3
    shift: float = 0.0
    mean_delay_hours: float = 30.0


@dataclass(frozen=True)
class Simulation:
    """The simulated log as columns, with the truth the store never sees (every outcome, labelled or not)."""

    config: SimulationConfig
    prediction_id: np.ndarray
    model_version: np.ndarray
    predict_time: np.ndarray
    routing: list[tuple[tuple[str, float], ...]]
    escalation_probability: np.ndarray
    csat_risk_probability: np.ndarray
    resolution_p50_hours: np.ndarray
    resolution_p90_hours: np.ndarray
    decision_action: np.ndarray
    decision_confidence: np.ndarray
    inputs: list[Mapping[str, Any]]
    has_outcome: np.ndarray
    record_time: np.ndarray  # when the outcome arrived (also for those that have not yet)
    resolved_queue: np.ndarray  # the truth, labelled or not
    outside_label_set: np.ndarray
    escalated: np.ndarray
    csat_bad: np.ndarray
    resolution_hours: np.ndarray
    truth: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.prediction_id)


def simulate_inputs(rng: np.random.Generator, n: int, shift: float = 0.0) -> dict[str, np.ndarray]:
    """Input summaries (features/summary.py's names) as columns; `shift` tilts every distribution."""
    channel_p = np.array([0.4, 0.25, 0.1, 0.2, 0.05])
    channel_p = (1 - shift) * channel_p + shift * np.array([0.05, 0.15, 0.6, 0.1, 0.1])
    columns: dict[str, np.ndarray] = {
        "channel": np.array(CHANNELS, dtype=object)[rng.choice(len(CHANNELS), n, p=channel_p)],
        "language": np.array(LANGUAGES, dtype=object)[rng.choice(4, n, p=[0.6, 0.2, 0.1, 0.1])],
        "support_plan": np.array(SUPPORT_PLANS, dtype=object)[rng.choice(3, n, p=[0.7, 0.2, 0.1])],
        "integration_type": np.array(INTEGRATION_TYPES, dtype=object)[rng.choice(5, n)],
        "subject_chars": rng.poisson(40 * (1 + shift), n).astype(float),
        "body_chars": np.round(np.exp(rng.normal(6.0 + 0.8 * shift, 0.6, n))),
        "account_age_days": np.round(np.exp(rng.normal(6.0 - shift, 1.0, n))),
        "monthly_volume_usd": np.round(np.exp(rng.normal(10.0, 1.5, n)), 2),
        "disputes_30d": rng.poisson(0.3 + 2 * shift, n).astype(float),
        "failed_payouts_30d": rng.poisson(0.2, n).astype(float),
        "declined_charges_30d": rng.poisson(3.0, n).astype(float),
        "previous_cases_30d": rng.poisson(1.0 + shift, n).astype(float),
    }
    assert set(columns) == set(CATEGORICAL_INPUTS) | set(NUMERIC_INPUTS)
    return columns


def routing_probabilities(rng: np.random.Generator, config: SimulationConfig, n: int) -> np.ndarray:
    """Calibrated routing probabilities: softmax of random logits, one queue made likelier under shift."""
    logits = rng.normal(0.0, config.sharpness, (n, len(config.queues)))
    logits[:, 0] += 3.0 * config.shift  # the routing mix moves with the inputs
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


def simulate(config: SimulationConfig = SimulationConfig()) -> Simulation:
    """A log of `config.n` calibrated predictions with their outcomes, oldest first."""
    rng = np.random.default_rng(config.seed)
    n, queues = config.n, np.array(config.queues, dtype=object)
    predict_time = np.sort(config.start + rng.uniform(0, config.days * 86_400, n))
    probs = routing_probabilities(rng, config, n)
    # The outcome is drawn from the served probabilities: calibration holds by construction.
    resolved_index = (probs.cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1).clip(max=len(queues) - 1)
    resolved = queues[resolved_index]
    outside = rng.uniform(size=n) < config.outside_share
    resolved = np.where(outside, "queue_new", resolved)
    order = np.argsort(-probs, axis=1)[:, : config.top_k]
    top_p = np.take_along_axis(probs, order, axis=1)
    routing = [
        tuple((str(q), float(p)) for q, p in zip(row_q, row_p, strict=True))
        for row_q, row_p in zip(queues[order].tolist(), top_p.tolist(), strict=True)
    ]
    escalation = rng.beta(2, 8, n)
    csat = rng.beta(2, 10, n)
    mu, sigma = rng.normal(2.0, 0.7, n), 0.8
    has_outcome = rng.uniform(size=n) < config.label_share
    delay = rng.exponential(config.mean_delay_hours * 3600, n)
    inputs = simulate_inputs(rng, n, config.shift)
    names = list(inputs)
    rows: list[Mapping[str, Any]] = [
        dict(zip(names, values, strict=True)) for values in zip(*(inputs[k].tolist() for k in names), strict=True)
    ]
    version_index = rng.integers(0, len(config.versions), n)
    return Simulation(
        config=config,
        prediction_id=np.array([f"{config.seed:08x}-0000-7000-8000-{i:012x}" for i in range(n)], dtype=object),
        model_version=np.array(config.versions, dtype=object)[version_index],
        predict_time=predict_time,
        routing=routing,
        escalation_probability=escalation,
        csat_risk_probability=csat,
        resolution_p50_hours=np.exp(mu),
        resolution_p90_hours=np.exp(mu + Z90 * sigma),
        decision_action=np.where(top_p[:, 0] >= config.threshold, "auto_route", "human_triage").astype(object),
        decision_confidence=top_p[:, 0],
        inputs=rows,
        has_outcome=has_outcome,
        record_time=predict_time + delay,
        resolved_queue=resolved.astype(object),
        outside_label_set=outside,
        escalated=(rng.uniform(size=n) < escalation).astype(float),
        csat_bad=(rng.uniform(size=n) < csat).astype(float),
        resolution_hours=np.exp(mu + sigma * rng.standard_normal(n)),
        truth={"routing_probabilities": probs},
    )


def to_frame(sim: Simulation) -> OutcomeFrame:
    """The simulation as the store would return it: outcomes only where they have arrived."""
    n, known = len(sim), sim.has_outcome

    def hide(values: np.ndarray) -> np.ndarray:
        return np.where(known, values, np.nan)

    return OutcomeFrame(
        prediction_id=sim.prediction_id,
        model_version=sim.model_version,
        predict_time=sim.predict_time,
        routing=sim.routing,
        escalation_probability=sim.escalation_probability,
        urgency_level=np.full(n, "normal", dtype=object),
        csat_risk_probability=sim.csat_risk_probability,
        resolution_p50_hours=sim.resolution_p50_hours,
        resolution_p90_hours=sim.resolution_p90_hours,
        decision_action=sim.decision_action,
        decision_confidence=sim.decision_confidence,
        decision_threshold=np.full(n, sim.config.threshold),
        inputs=sim.inputs,
        has_outcome=known,
        record_time=hide(sim.record_time),
        resolved_queue=np.where(known, sim.resolved_queue, "").astype(object),
        outside_label_set=known & sim.outside_label_set,
        escalated=hide(sim.escalated),
        final_urgency=np.where(known, "normal", "").astype(object),
        csat_bad=hide(sim.csat_bad),
        resolution_hours=hide(sim.resolution_hours),
        decision_overridden=np.full(n, np.nan),
        experiment=np.full(n, "", dtype=object),
        arm=np.full(n, "", dtype=object),
        propensity=np.full(n, np.nan),
        unit_id=np.full(n, "", dtype=object),
    )


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def logged_predictions(sim: Simulation, rows: slice = slice(None)) -> list[LoggedPrediction]:
    """The simulated predictions as the log writes them (no serialised message: b"")."""
    return [
        LoggedPrediction(
            prediction_id=sim.prediction_id[i],
            case_id=f"case-{i}",
            model_version=sim.model_version[i],
            predict_time=_time(sim.predict_time[i]),
            latency_ms=1.0,
            routing=sim.routing[i],
            escalation_probability=float(sim.escalation_probability[i]),
            urgency_level="normal",
            csat_risk_probability=float(sim.csat_risk_probability[i]),
            resolution_p50_hours=float(sim.resolution_p50_hours[i]),
            resolution_p90_hours=float(sim.resolution_p90_hours[i]),
            decision_action=sim.decision_action[i],
            decision_confidence=float(sim.decision_confidence[i]),
            decision_threshold=sim.config.threshold,
            inputs=sim.inputs[i],
            case_text=None,
            prediction=b"",
        )
        for i in range(len(sim))[rows]
    ]


def outcome_values(sim: Simulation, i: int) -> OutcomeValues:
    return OutcomeValues(
        resolved_queue=str(sim.resolved_queue[i]),
        escalated=bool(sim.escalated[i]),
        final_urgency="normal",
        csat_rating="bad" if sim.csat_bad[i] else "good",
        resolution_hours=float(sim.resolution_hours[i]),
    )


def outcome_writes(sim: Simulation) -> list[OutcomeWrite]:
    """One write per prediction whose outcome has arrived, as the OutcomeService would make it."""
    return [
        OutcomeWrite(
            prediction_id=sim.prediction_id[i],
            case_id="",
            values=outcome_values(sim, i),
            occur_time=_time(sim.record_time[i]),
            correction=False,
            request_id=f"sim-{i}",
            sent=b"",
        )
        for i in np.flatnonzero(sim.has_outcome).tolist()
    ]


def simulated_reference(config: SimulationConfig, n: int = 20_000) -> dict[str, Any]:
    """A drift reference (the manifest's "drift_reference") from an unshifted simulation."""
    from dataclasses import replace

    from supportability.evaluation import reference as ref
    from supportability.online.drift import drift_columns

    columns = drift_columns(to_frame(simulate(replace(config, n=n, shift=0.0, seed=config.seed + 7_919))))
    return {
        "format": ref.REFERENCE_FORMAT,
        "inputs": ref.summarize(columns.inputs),
        "outputs": ref.summarize(columns.outputs),
        "case_counts": {"inputs": n, "outputs": n},
    }


def reference_manifest(
    config: SimulationConfig, version: str, *, target_precision: float = 0.85, with_reference: bool = True
) -> dict[str, Any]:
    """A registry manifest for a simulated version: what the online report reads (no model files)."""
    manifest: dict[str, Any] = {
        "format": 1,
        "name": "support-cases",
        "version": version,
        "created_time": _time(config.start).isoformat(),
        "model_format": "simulated",
        "data": {"source": "online/synthetic.py", "case_count": config.n, "fingerprint": ""},
        "tasks": ["routing", "escalation", "csat_risk", "resolution_time", "decision"],
        "label_sets": {"routing": list(config.queues)},
        "decision": {"threshold": config.threshold, "target_precision": target_precision},
        "metrics": [],
    }
    if with_reference:
        manifest["drift_reference"] = simulated_reference(config)
    return manifest
