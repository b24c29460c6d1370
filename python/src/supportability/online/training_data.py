"""Training data from the online store, for `supportability train --from-outcomes`: the stored
predictions that have outcomes, labelled by what really happened; and the comparison of the new
version with the serving one on the same outcome window.

Labels, from each prediction's merged outcome: resolved_queue -> queue (a queue created after
training included: learning it is what retraining is for), escalated, final_urgency -> urgency,
CSAT (rating bad, or score 1-2) -> csat_negative, resolution_hours, helpful_article_ids ->
article_ids. Only predictions with a resolved queue are used: routing is what the comparison is
on. The trainer fits each task on all of its cases, so any other label is used only when every
case has it; a label recorded for some cases only leaves its task out, and the report says so.
The contract cannot tell an empty list of helpful articles from none given, so a case without
any reads as "no article helped" (the column is there as soon as one outcome names an article).
A case predicted several times counts once, with its latest prediction that has an outcome.

Where each case comes from (the report counts both):
- its text: the prediction log's own copy when the server kept it (`serve --store-case-text`),
  else the caller's cases file (`--cases-file`), joined on case_id;
- the rest of it: the cases file when that has the case (every field, as sent), else the logged
  input summary (channel, language, plan, integration, account counts and volume), with the
  prediction time as create_time. The log keeps no country, industry, merchant or extra
  features: a model trained from the log alone does without them.
A case whose text is in neither raises MissingCaseText, which says how many and names a few.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from supportability.data.dataset import LabeledCases
from supportability.domain import Case
from supportability.models import SupportModel
from supportability.online.store import LoggedPrediction, OutcomeValues, StoredOutcome

Z95 = 1.959963984540054
# Fewer outcome cases than this train nothing worth comparing: the newest 15% are held out, 15% calibrate.
MIN_TRAINING_CASES = 100
# Label column -> the task it trains (as data/dataset.py's LABEL_COLUMNS), in the report's order.
TASK_OF = {
    "escalated": "escalation",
    "urgency": "urgency",
    "csat_negative": "csat_risk",
    "resolution_hours": "resolution_time",
    "article_ids": "articles",
}


class MissingCaseText(ValueError):
    """Some labelled predictions have no case text: not in the log, and not in the cases file."""

    def __init__(self, missing: Sequence[str], with_file: bool) -> None:
        self.missing = list(missing)
        shown = ", ".join(repr(c) for c in self.missing[:5]) + (", ..." if len(self.missing) > 5 else "")
        remedy = (
            "the cases file has no row with these case_ids"
            if with_file
            else "the server kept no case text (serve --store-case-text) and no --cases-file was given"
        )
        super().__init__(f"{len(self.missing)} labelled predictions have no case text ({shown}): {remedy}")


@dataclass(frozen=True)
class OutcomeCases:
    """The training cases built from outcomes, with where they came from and what they served."""

    data: LabeledCases
    served_queue: np.ndarray  # str: the top-1 queue each case was served (its latest prediction)
    model_version: np.ndarray  # str: the version that served it
    text_from_log: int
    text_from_file: int
    context_from_file: int
    left_out: Mapping[str, float] = field(default_factory=dict)  # task -> share of cases with its label
    without_queue: int = 0  # outcomes without a resolved queue (not used)
    repeated: int = 0  # earlier predictions of a case used once

    def describe(self) -> list[str]:
        n = len(self.data)
        lines = [
            f"{n} cases from stored outcomes ({self.without_queue} outcomes without a resolved queue not used, "
            f"{self.repeated} repeated predictions of a case counted once)",
            f"case text: {self.text_from_log} from the prediction log, {self.text_from_file} from the cases file; "
            f"account context: {self.context_from_file} from the cases file, "
            f"{n - self.context_from_file} from the logged input summary",
        ]
        lines += [
            f"{task}: label recorded for {share:.0%} of the cases; not trained (it needs every case)"
            for task, share in self.left_out.items()
        ]
        return lines


def _from_log(prediction: LoggedPrediction, text: str) -> Case:
    """The case as far as the log knows it: its text and the input summary."""
    subject, _, body = text.partition("\n")  # the log keeps f"{subject}\n{body}", which is the model's text
    inputs: Mapping[str, Any] = prediction.inputs

    def count(name: str) -> int:
        return int(inputs.get(name) or 0)

    return Case(
        subject=subject,
        body=body,
        channel=str(inputs.get("channel") or ""),  # "": the caller did not say, and it was served so
        language=str(inputs.get("language") or ""),
        case_id=prediction.case_id,
        create_time=prediction.predict_time,
        support_plan=str(inputs.get("support_plan") or "standard"),
        integration_type=str(inputs.get("integration_type") or ""),
        monthly_volume_usd=float(inputs.get("monthly_volume_usd") or 0.0),
        account_age_days=count("account_age_days"),
        disputes_30d=count("disputes_30d"),
        failed_payouts_30d=count("failed_payouts_30d"),
        declined_charges_30d=count("declined_charges_30d"),
        previous_cases_30d=count("previous_cases_30d"),
    )


def _csat_bad(values: OutcomeValues) -> int | None:
    if values.csat_rating is not None:
        return int(values.csat_rating == "bad")
    return None if values.csat_score is None else int(values.csat_score <= 2)


def _labels(values: OutcomeValues) -> dict[str, Any]:
    """The label columns an outcome gives (None: not recorded)."""
    return {
        "escalated": None if values.escalated is None else int(values.escalated),
        "urgency": values.final_urgency,
        "csat_negative": _csat_bad(values),
        "resolution_hours": values.resolution_hours,
        "article_ids": values.helpful_article_ids,
    }


def outcome_cases(
    records: Sequence[tuple[LoggedPrediction, StoredOutcome]],
    *,
    cases_file: LabeledCases | None = None,
    source: str = "outcomes",
) -> OutcomeCases:
    """Labelled cases from (prediction, outcome) records, oldest first (see the module docstring)."""
    latest: dict[str, tuple[LoggedPrediction, StoredOutcome]] = {}
    without_queue = 0
    for k, (prediction, outcome) in enumerate(records):
        if not outcome.values.resolved_queue:
            without_queue += 1
            continue
        latest[prediction.case_id or f"\0{k}"] = (prediction, outcome)  # records are oldest first
    used = sorted(latest.values(), key=lambda r: r[0].prediction_id)  # time-ordered ids
    repeated = len(records) - without_queue - len(used)
    from_file = {c.case_id: c for c in cases_file.cases if c.case_id} if cases_file is not None else {}

    cases: list[Case] = []
    missing: list[str] = []
    text_from_log = text_from_file = context_from_file = 0
    for prediction, _ in used:
        filed = from_file.get(prediction.case_id) if prediction.case_id else None
        if prediction.case_text is not None:
            text_from_log += 1
            logged = _from_log(prediction, prediction.case_text)
            if filed is not None:
                context_from_file += 1
                logged = replace(filed, subject=logged.subject, body=logged.body)
            cases.append(logged)
        elif filed is not None:
            text_from_file += 1
            context_from_file += 1
            cases.append(filed)
        else:
            missing.append(prediction.case_id or prediction.prediction_id)
    if missing:
        raise MissingCaseText(missing, cases_file is not None)
    if not used:
        raise ValueError("no stored prediction in the window has an outcome with a resolved queue")

    given = [_labels(outcome.values) for _, outcome in used]
    labels: dict[str, np.ndarray] = {"queue": _objects([o.values.resolved_queue for _, o in used])}
    left_out: dict[str, float] = {}
    for column, task in TASK_OF.items():
        values = [g[column] for g in given]
        present = sum(v is not None for v in values)
        if column == "article_ids" and present:
            labels[column] = _objects([tuple(v) if v else () for v in values])
        elif present == len(values):
            labels[column] = _column(column, values)
        elif present:
            left_out[task] = present / len(values)
    return OutcomeCases(
        data=LabeledCases(cases=cases, labels=labels, source=source),
        served_queue=_objects([p.routing[0][0] if p.routing else "" for p, _ in used]),
        model_version=_objects([p.model_version for p, _ in used]),
        text_from_log=text_from_log,
        text_from_file=text_from_file,
        context_from_file=context_from_file,
        left_out=left_out,
        without_queue=without_queue,
        repeated=repeated,
    )


def _objects(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _column(name: str, values: Sequence[Any]) -> np.ndarray:
    """A label column in the dtype the loaders give it (data/loaders.py)."""
    if name in ("escalated", "csat_negative"):
        return np.array(values, dtype=np.int8)
    if name == "resolution_hours":
        return np.array(values, dtype=float)
    return _objects(values)


@dataclass(frozen=True)
class Accuracy:
    """Top-1 accuracy on the held-out cases, and its difference from the new version's (paired)."""

    name: str  # "new", "served" or "serving offline"
    version: str
    top1: float
    difference: float = 0.0  # new minus this one
    half_width: float = 0.0  # of the 95% interval of the difference


@dataclass(frozen=True)
class Comparison:
    """The new version against the serving one, on the held-out cases of the outcome window."""

    held_out: int
    outcome_cases: int
    rows: tuple[Accuracy, ...]

    def lines(self) -> list[str]:
        out = [f"comparison on the {self.held_out} held-out (newest) of {self.outcome_cases} outcome cases:"]
        for row in self.rows:
            versus = (
                ""
                if row.name == "new"
                else f"   new - this: {100 * row.difference:+.1f} points (95% interval +/-{100 * row.half_width:.1f})"
            )
            out.append(f"  routing top-1 {row.name:16} {row.version:28} {row.top1:.4f}{versus}")
        return out

    def metrics(self) -> list[tuple[str, str, float, str]]:
        """As registry metrics: task "from_outcomes", the row's name as the slice."""
        out = [
            ("from_outcomes", "held_out_cases", float(self.held_out), ""),
            ("from_outcomes", "outcome_cases", float(self.outcome_cases), ""),
        ]
        for row in self.rows:
            out.append(("from_outcomes", "top1_accuracy", row.top1, row.name))
            if row.name != "new":
                out.append(("from_outcomes", "top1_difference", row.difference, row.name))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "held_out_cases": self.held_out,
            "outcome_cases": self.outcome_cases,
            "routing_top1": [asdict(row) for row in self.rows],
        }


def _top1(model: SupportModel, cases: Sequence[Case]) -> np.ndarray:
    results = model.predict(cases, top_k=1, article_count=0)
    return _objects([r.routing[0][0] if r.routing else "" for r in results])


def compare(
    outcomes: OutcomeCases,
    held_out: np.ndarray,
    new: SupportModel,
    serving: SupportModel | None,
) -> Comparison:
    """Routing top-1 on the held-out outcome cases: the new version in-process; the predictions as
    served (the versions that answered them, from the log); and the serving version in-process on
    the same cases as rebuilt here, when it is given."""
    truth = outcomes.data.labels["queue"][held_out]
    cases = [outcomes.data.cases[i] for i in held_out]
    new_correct = (_top1(new, cases) == truth).astype(float)
    served_versions = sorted(set(outcomes.model_version[held_out]))
    candidates = [("served", ", ".join(served_versions), outcomes.served_queue[held_out])]
    if serving is not None:
        candidates.append(("serving offline", serving.info.version, _top1(serving, cases)))
    rows = [Accuracy("new", new.info.version, float(new_correct.mean()))]
    for name, version, top in candidates:
        correct = (top == truth).astype(float)
        d = new_correct - correct
        half = Z95 * float(d.std(ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else math.nan
        rows.append(Accuracy(name, version, float(correct.mean()), float(d.mean()), half))
    return Comparison(len(held_out), len(outcomes.data), tuple(rows))
