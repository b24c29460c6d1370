"""Simulated traffic with known outcomes: synthetic cases sent to a running server at a steady rate,
and each case's true outcome sent back through RecordOutcome after a realistic delay.

The generator knows every case's true labels, so the online metrics computed on this traffic must
agree with the offline metrics of the same model on the same cases, within sampling error; and its
drift knob moves the topic mix, which must show in the drift panel, and, on cases dated after the
training window (`days_after_window`), the queue cases are resolved in, so live precision falls.

One thread keeps the clock: it fires each prediction at its scheduled time and each outcome when
its delay (counted from the answer) is over, and hands the calls to a small thread pool. At most
`workers * 2` calls are in flight, so a server slower than the asked rate lowers the achieved rate
instead of queueing without bound; and the whole run stops at a deadline whatever happens.
"""

from __future__ import annotations

import heapq
import queue
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from google.protobuf import timestamp_pb2

from supportability.client import Client
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.domain import Case
from supportability.errors import SupportabilityError
from supportability.online.records import CSAT_NUMBERS, URGENCY_NUMBERS
from supportability.v1 import outcome_pb2, support_case_pb2

DEFAULT_SEED = 101  # not the default model's training seed (7): the traffic is new cases
MAX_DELAY_FACTOR = 5.0  # delays are exponential, cut at this many times their mean
DRAIN_SECONDS = 10.0  # beyond the planned duration, how long the run may take to finish


@dataclass(frozen=True)
class SimulationPlan:
    """What to send. The outcome delay is exponential with this mean, bounded (MAX_DELAY_FACTOR)."""

    cases: int = 1_000
    rate: float = 50.0  # cases per second
    seed: int = DEFAULT_SEED
    drift: float = 1.0  # the generator's drift knob (1.0: the default model's training data)
    days_after_window: float | None = None  # None: cases over the training window; N: over the window's
    # length from N days after its end (the generator's concept drift: see data/generator.py)
    outcome_delay_seconds: float = 2.0
    outcome_share: float = 1.0  # of answered cases, the share whose outcome is sent
    workers: int = 4
    max_seconds: float | None = None  # None: 2x the planned duration, plus DRAIN_SECONDS

    def __post_init__(self) -> None:
        if self.cases < 1 or self.rate <= 0 or self.workers < 1:
            raise ValueError("cases, rate and workers must be positive")
        if self.outcome_delay_seconds < 0 or not 0.0 <= self.outcome_share <= 1.0:
            raise ValueError("outcome_delay_seconds must be >= 0 and outcome_share in [0, 1]")
        if self.days_after_window is not None and self.days_after_window < 0:
            raise ValueError("days_after_window must be >= 0")

    @property
    def deadline_seconds(self) -> float:
        planned = self.cases / self.rate + MAX_DELAY_FACTOR * self.outcome_delay_seconds
        return self.max_seconds if self.max_seconds is not None else 2 * planned + DRAIN_SECONDS


@dataclass
class SimulatedCase:
    """One case of the run: what was sent, what came back."""

    case_id: str
    true_queue: str
    sent: bool = False  # the prediction was sent (the deadline may stop the run before)
    prediction_id: str = ""  # empty until (unless) the prediction is answered
    model_version: str = ""
    served_queue: str = ""  # the served top-1 queue
    outcome_wanted: bool = False
    outcome_sent: bool = False
    outcome_acknowledged: bool = False
    error: str = ""


@dataclass
class SimulationResult:
    """The run: every case in the order sent (`data` holds the cases and true labels, same order)."""

    plan: SimulationPlan
    data: LabeledCases
    cases: list[SimulatedCase]
    elapsed_seconds: float = 0.0
    sending_seconds: float = 0.0  # from the first prediction sent to the last
    errors: Counter[str] = field(default_factory=Counter)  # "predict: REASON" / "outcome: REASON" -> count

    def count(self, test: Callable[[SimulatedCase], bool]) -> int:
        return sum(1 for c in self.cases if test(c))

    def figures(self) -> Mapping[str, float]:
        answered = [c for c in self.cases if c.prediction_id]
        acknowledged = [c for c in self.cases if c.outcome_acknowledged]
        correct = sum(1 for c in acknowledged if c.served_queue == c.true_queue)
        sent = self.count(lambda c: c.sent)
        return {
            "sent": sent,
            "not_sent": self.count(lambda c: not c.sent),
            "predictions_acknowledged": len(answered),
            "prediction_errors": sum(n for k, n in self.errors.items() if k.startswith("predict")),
            "outcomes_sent": self.count(lambda c: c.outcome_sent),
            "outcomes_acknowledged": len(acknowledged),
            "outcome_errors": sum(n for k, n in self.errors.items() if k.startswith("outcome")),
            "outcomes_not_sent": self.count(lambda c: c.outcome_wanted and not c.outcome_sent),
            "achieved_rate": (sent - 1) / self.sending_seconds if sent > 1 and self.sending_seconds > 0 else 0.0,
            "served_top1_accuracy": correct / len(acknowledged) if acknowledged else float("nan"),
        }

    def summary(self) -> str:
        f, plan = self.figures(), self.plan
        dated = "" if plan.days_after_window is None else f", {plan.days_after_window:g} days after the window"
        lines = [
            f"simulated {plan.cases} cases at {plan.rate:g}/s (seed {plan.seed}, drift {plan.drift:g}{dated}) in "
            f"{self.elapsed_seconds:.1f} s; sent at {f['achieved_rate']:.1f} cases/s",
            f"  predictions: sent {f['sent']:.0f}, acknowledged {f['predictions_acknowledged']:.0f}, "
            f"errors {f['prediction_errors']:.0f}, not sent by the deadline {f['not_sent']:.0f}",
            f"  outcomes:    sent {f['outcomes_sent']:.0f}, acknowledged {f['outcomes_acknowledged']:.0f}, "
            f"errors {f['outcome_errors']:.0f}, not sent by the deadline {f['outcomes_not_sent']:.0f} "
            f"(share {plan.outcome_share:g}, mean delay {plan.outcome_delay_seconds:g} s)",
            f"  served top-1 accuracy on the acknowledged outcomes: {f['served_top1_accuracy']:.4f}",
        ]
        lines += [f"  error {name}: {n}" for name, n in sorted(self.errors.items())]
        return "\n".join(lines)


def support_case(case: Case) -> support_case_pb2.SupportCase:
    """A `Case` as the contract's `SupportCase` (the inverse of serving.convert.case_from_proto)."""
    message = support_case_pb2.SupportCase(
        case_id=case.case_id,
        subject=case.subject,
        body=case.body,
        channel=f"CHANNEL_{case.channel.upper()}",  # protobuf takes enum values by name
        language=case.language,
        account=support_case_pb2.AccountContext(
            merchant_id=case.merchant_id,
            country_code=case.country_code,
            account_age_days=case.account_age_days,
            industry=case.industry,
            support_plan=f"SUPPORT_PLAN_{case.support_plan.upper()}",
            monthly_volume_usd=case.monthly_volume_usd,
            integration_type=f"INTEGRATION_TYPE_{case.integration_type.upper() or 'UNSPECIFIED'}",
            disputes_30d=case.disputes_30d,
            failed_payouts_30d=case.failed_payouts_30d,
            declined_charges_30d=case.declined_charges_30d,
            previous_cases_30d=case.previous_cases_30d,
        ),
    )
    if case.create_time is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(case.create_time)
        message.create_time.CopyFrom(stamp)
    for name, value in case.extra_features.items():
        target = message.extra_features[name]
        if isinstance(value, bool):
            target.bool_value = value
        elif isinstance(value, int | float):
            target.number_value = float(value)
        else:
            target.string_value = str(value)
    return message


def true_outcome(data: LabeledCases, i: int, prediction_id: str) -> outcome_pb2.Outcome:
    """Case i's true outcome, from the generator's labels, for the prediction that answered it."""
    labels = data.labels
    return outcome_pb2.Outcome(
        prediction_id=prediction_id,
        resolved_queue=str(labels["queue"][i]),
        escalated=bool(labels["escalated"][i]),
        final_urgency=URGENCY_NUMBERS[str(labels["urgency"][i])],
        csat_rating=CSAT_NUMBERS["bad" if labels["csat_negative"][i] else "good"],
        resolution_hours=float(labels["resolution_hours"][i]),
        helpful_article_ids=list(labels["article_ids"][i]),
    )


def traffic(plan: SimulationPlan) -> LabeledCases:
    """The plan's cases with their true labels, oldest first (so a drifting topic mix drifts during the run)."""
    after = plan.days_after_window
    offset = 0.0 if after is None else GeneratorConfig.days + after  # the window: the generator's default
    data = generate(GeneratorConfig(n_cases=plan.cases, seed=plan.seed, drift=plan.drift, offset_days=offset))
    order = np.argsort([c.create_time.timestamp() if c.create_time else 0.0 for c in data.cases], kind="stable")
    return data.subset(order)


def _reason(exc: Exception) -> str:
    if isinstance(exc, SupportabilityError):
        return exc.reason or exc.code.name
    return type(exc).__name__  # a bug of ours or the server's, not a refusal


def run(client: Client, plan: SimulationPlan, data: LabeledCases | None = None) -> SimulationResult:
    """Send the plan's traffic through `client` and its outcomes after their delays; bounded in time."""
    data = traffic(plan) if data is None else data
    rng = np.random.default_rng([plan.seed, 1])
    delays = np.minimum(
        rng.exponential(plan.outcome_delay_seconds, len(data)), MAX_DELAY_FACTOR * plan.outcome_delay_seconds
    )
    wanted = rng.uniform(size=len(data)) < plan.outcome_share
    result = SimulationResult(
        plan, data, [SimulatedCase(c.case_id, str(q)) for c, q in zip(data.cases, data.labels["queue"], strict=True)]
    )
    done: queue.Queue[tuple[str, int]] = queue.Queue()  # ("predicted" | "recorded", case index), from the pool

    def predict(i: int) -> None:
        case = result.cases[i]
        case.sent = True
        try:
            prediction = client.predict_case(support_case(data.cases[i])).prediction
            case.prediction_id, case.model_version = prediction.prediction_id, prediction.model_version
            top = prediction.routing.top_queues
            case.served_queue = top[0].queue if top else ""
        except Exception as exc:  # counted and reported, whatever it is: the run goes on
            case.error = f"predict: {_reason(exc)}"
        finally:
            done.put(("predicted", i))

    def record(i: int) -> None:
        case = result.cases[i]
        case.outcome_sent = True
        try:
            client.record_outcome(true_outcome(data, i, case.prediction_id))
            case.outcome_acknowledged = True
        except Exception as exc:
            case.error = f"outcome: {_reason(exc)}"
        finally:
            done.put(("recorded", i))

    started = time.monotonic()
    deadline = started + plan.deadline_seconds
    # (due, sequence, kind, index): predictions at their scheduled times; outcomes pushed when answered.
    events: list[tuple[float, int, str, int]] = [(started + k / plan.rate, k, "predict", k) for k in range(len(data))]
    sequence, in_flight, max_in_flight = len(data), 0, 2 * plan.workers
    first_sent = last_sent = 0.0
    with ThreadPoolExecutor(plan.workers, thread_name_prefix="simulate") as pool:
        while (events or in_flight) and time.monotonic() < deadline:
            now = time.monotonic()
            while events and events[0][0] <= now and in_flight < max_in_flight:
                _, _, kind, i = heapq.heappop(events)
                pool.submit(predict if kind == "predict" else record, i)
                in_flight += 1
                if kind == "predict":
                    first_sent, last_sent = first_sent or now, now
            wait = events[0][0] - now if events and in_flight < max_in_flight else deadline - now
            try:
                finished, i = done.get(timeout=max(0.0, min(wait, deadline - now, 0.5)))
            except queue.Empty:
                continue
            in_flight -= 1
            case = result.cases[i]
            if finished == "predicted" and case.prediction_id and wanted[i]:
                case.outcome_wanted = True
                heapq.heappush(events, (time.monotonic() + float(delays[i]), sequence, "record", i))
                sequence += 1
        # Past the deadline nothing new starts; the calls in flight end by their own deadlines.
    result.elapsed_seconds, result.sending_seconds = time.monotonic() - started, last_sent - first_sent
    result.errors = Counter(c.error for c in result.cases if c.error)
    return result
