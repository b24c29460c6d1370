"""Translation between the contract's messages and the models' plain-Python types."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from supportability.domain import Case
from supportability.experiments.definition import Experiment
from supportability.models import CaseResult, ModelInfo
from supportability.v1 import model_service_pb2, prediction_pb2, support_case_pb2

_CHANNEL_NAMES = {
    support_case_pb2.CHANNEL_UNSPECIFIED: "",  # not known: the models read no channel
    support_case_pb2.CHANNEL_EMAIL: "email",
    support_case_pb2.CHANNEL_CHAT: "chat",
    support_case_pb2.CHANNEL_PHONE: "phone",
    support_case_pb2.CHANNEL_WEB_FORM: "web_form",
    support_case_pb2.CHANNEL_API: "api",
}
_PLAN_NAMES = {
    support_case_pb2.SUPPORT_PLAN_UNSPECIFIED: "standard",
    support_case_pb2.SUPPORT_PLAN_STANDARD: "standard",
    support_case_pb2.SUPPORT_PLAN_PREMIUM: "premium",
    support_case_pb2.SUPPORT_PLAN_ENTERPRISE: "enterprise",
}
_INTEGRATION_NAMES = {
    support_case_pb2.INTEGRATION_TYPE_UNSPECIFIED: "",
    support_case_pb2.INTEGRATION_TYPE_HOSTED: "hosted",
    support_case_pb2.INTEGRATION_TYPE_DIRECT_API: "direct_api",
    support_case_pb2.INTEGRATION_TYPE_PLUGIN: "plugin",
    support_case_pb2.INTEGRATION_TYPE_PLATFORM: "platform",
    support_case_pb2.INTEGRATION_TYPE_TERMINAL: "terminal",
}
_URGENCY_LEVELS = {
    "low": prediction_pb2.URGENCY_LOW,
    "normal": prediction_pb2.URGENCY_NORMAL,
    "high": prediction_pb2.URGENCY_HIGH,
    "critical": prediction_pb2.URGENCY_CRITICAL,
}
_ACTIONS = {
    "auto_route": prediction_pb2.DECISION_ACTION_AUTO_ROUTE,
    "human_triage": prediction_pb2.DECISION_ACTION_HUMAN_TRIAGE,
}
_REASONS = {
    "low_confidence": prediction_pb2.DECISION_REASON_LOW_CONFIDENCE,
    "out_of_scope": prediction_pb2.DECISION_REASON_OUT_OF_SCOPE,
}
TASKS = {
    "routing": prediction_pb2.TASK_ROUTING,
    "escalation": prediction_pb2.TASK_ESCALATION,
    "urgency": prediction_pb2.TASK_URGENCY,
    "csat_risk": prediction_pb2.TASK_CSAT_RISK,
    "resolution_time": prediction_pb2.TASK_RESOLUTION_TIME,
    "articles": prediction_pb2.TASK_ARTICLES,
    "decision": prediction_pb2.TASK_DECISION,
}


def case_from_proto(message: support_case_pb2.SupportCase) -> Case:
    """A validated `SupportCase` as the models' `Case`."""
    account = message.account
    return Case(
        subject=message.subject,
        body=message.body,
        channel=_CHANNEL_NAMES[message.channel],
        language=message.language.lower(),
        case_id=message.case_id,
        create_time=message.create_time.ToDatetime() if message.HasField("create_time") else None,
        merchant_id=account.merchant_id,
        country_code=account.country_code.upper(),
        account_age_days=account.account_age_days,
        industry=account.industry.lower(),
        support_plan=_PLAN_NAMES[account.support_plan],
        monthly_volume_usd=account.monthly_volume_usd,
        integration_type=_INTEGRATION_NAMES[account.integration_type],
        disputes_30d=account.disputes_30d,
        failed_payouts_30d=account.failed_payouts_30d,
        declined_charges_30d=account.declined_charges_30d,
        previous_cases_30d=account.previous_cases_30d,
        extra_features={
            name: getattr(value, value.WhichOneof("kind") or "null_value")
            for name, value in message.extra_features.items()
        },
    )


def prediction_to_proto(
    result: CaseResult,
    *,
    case_id: str,
    model_version: str,
    prediction_id: str = "",
    new: Callable[..., prediction_pb2.CasePrediction] = prediction_pb2.CasePrediction,
) -> prediction_pb2.CasePrediction:
    """A `CaseResult` as a `CasePrediction`; tasks the model does not serve stay unset.

    `new` makes the empty message from its ids: pass a response's `predictions.add` to build the
    prediction in place, in the response's memory, instead of as a message of its own that the
    response then copies (a third of the cost of a batch's responses).
    Repeated fields are filled with `add(...)`, about twice as fast as `extend` with new
    messages — this runs once per case of every batch.
    """
    out = new(case_id=case_id, model_version=model_version, prediction_id=prediction_id)
    if result.routing is not None:
        queues = out.routing.top_queues
        for queue, probability in result.routing:
            queues.add(queue=queue, probability=probability)
    if result.escalation is not None:
        out.escalation.probability = result.escalation
    if result.urgency is not None:
        level, probabilities = result.urgency
        out.urgency.level = _URGENCY_LEVELS[level]
        scores = out.urgency.scores
        for name, number in _URGENCY_LEVELS.items():
            scores.add(level=number, probability=probabilities.get(name, 0.0))
    if result.csat_risk is not None:
        out.csat_risk.probability = result.csat_risk
    if result.resolution_time is not None:
        out.resolution_time.p50_hours, out.resolution_time.p90_hours = result.resolution_time
    if result.articles is not None:
        out.suggested_articles.SetInParent()  # present even when no article matched
        articles = out.suggested_articles.articles
        for article_id, title, score in result.articles:
            articles.add(article_id=article_id, title=title, score=score)
    if result.decision is not None:
        action, queue, confidence, threshold = result.decision
        out.decision.action = _ACTIONS[action]
        out.decision.queue = queue
        out.decision.confidence = confidence
        out.decision.threshold = threshold
        if result.decision_reason is not None:
            out.decision.reason = _REASONS[result.decision_reason]
    for task, target, features in result.explanations or ():
        explanation = out.explanations.add(task=TASKS[task], target=target)
        for feature, weight in features:
            explanation.top_features.add(feature=feature, weight=weight)
    return out


def model_to_proto(info: ModelInfo, *, promoted: bool) -> model_service_pb2.Model:
    model = model_service_pb2.Model(
        name=info.name,
        version=info.version,
        state=model_service_pb2.MODEL_STATE_PROMOTED if promoted else model_service_pb2.MODEL_STATE_AVAILABLE,
        kind=f"MODEL_KIND_{info.kind.upper()}",  # the enum by name: an unknown kind fails here, loudly
        tasks=[TASKS[t] for t in info.tasks],
        label_sets=[model_service_pb2.LabelSet(task=TASKS[t], labels=labels) for t, labels in info.label_sets.items()],
        training_data=model_service_pb2.TrainingDataSummary(
            source=info.data_source, case_count=info.data_case_count, fingerprint=info.data_fingerprint
        ),
        # Metrics of the run as a whole (task "training") have no task of the contract's.
        offline_metrics=[
            model_service_pb2.Metric(task=TASKS.get(t, prediction_pb2.TASK_UNSPECIFIED), name=n, value=v, slice=s)
            for t, n, v, s in info.metrics
        ],
    )
    model.create_time.FromDatetime(info.created_time)
    return model


_EXPERIMENT_STATES = {
    "draft": model_service_pb2.EXPERIMENT_STATE_DRAFT,
    "running": model_service_pb2.EXPERIMENT_STATE_RUNNING,
    "paused": model_service_pb2.EXPERIMENT_STATE_PAUSED,
    "stopped": model_service_pb2.EXPERIMENT_STATE_STOPPED,
}


def experiment_to_proto(experiment: Experiment, assigning: Mapping[str, float] | None) -> model_service_pb2.Experiment:
    """`assigning`: the arms this server assigns to (None when the experiment is not live here)."""
    out = model_service_pb2.Experiment(
        name=experiment.name,
        state=_EXPERIMENT_STATES[experiment.state],
        mode=f"EXPERIMENT_MODE_{experiment.mode.upper()}",  # the enum by name, as the model kind
        unit=experiment.unit,
        arms=[
            model_service_pb2.ExperimentArm(
                version=a.version, weight=a.weight, active=assigning is not None and a.version in assigning
            )
            for a in experiment.arms
        ],
        salt=experiment.salt,
    )
    if experiment.start_time is not None:
        out.start_time.FromDatetime(experiment.start_time)
    return out
