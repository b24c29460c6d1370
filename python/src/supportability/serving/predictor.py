"""`Predictor`: the service's behaviour, callable in-process.

The gRPC server is a thin transport over this class, so a Python caller that wants no
network hop gets the same validation, the same answers and the same errors (as
`SupportabilityError`, carrying the reason and field violations the server would send).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from os import PathLike

import grpc
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

from supportability import errors
from supportability.client import batch_predict_cases_request, predict_case_request
from supportability.experiments.router import Routed, Router
from supportability.experiments.shadow import ShadowScorer
from supportability.experiments.store import ExperimentNotFound, ExperimentStore
from supportability.models import SupportModel
from supportability.online.loop import OnlineLoop
from supportability.online.store import ShadowPrediction
from supportability.prediction_ids import new_prediction_ids
from supportability.registry import ArtifactError, ModelNotFoundError, Registry
from supportability.serving import convert, routing, validation
from supportability.serving.shadow_process import Shadows, score_shadow
from supportability.v1 import (
    model_service_pb2,
    outcome_service_pb2,
    prediction_pb2,
    prediction_service_pb2,
    support_case_pb2,
)

log = logging.getLogger(__name__)
DEFAULT_TOP_K = 3
DEFAULT_ARTICLE_COUNT = 3
MAX_PAGE_SIZE = 1_000
DEFAULT_PAGE_SIZE = 50
# Versions requested by name (A/B tests, shadowing) kept loaded beside the promoted one.
MAX_PINNED_VERSIONS = 4
_Request = (
    prediction_service_pb2.PredictCaseRequest
    | prediction_service_pb2.StreamPredictCasesRequest
    | prediction_service_pb2.BatchPredictCasesRequest
)
# Large enough to keep the models vectorised, small enough to notice a passed deadline soon.
BATCH_CHUNK = 250


class Predictor:
    """Answers the contract's requests from the models in a registry.

    >>> predictor = Predictor("var/registry")
    >>> predictor.predict_case(SupportCase(subject=..., body=...)).prediction.routing
    """

    def __init__(
        self, registry: str | PathLike[str] | Registry, *, load_promoted: bool = True, online: OnlineLoop | None = None
    ) -> None:
        self.registry = registry if isinstance(registry, Registry) else Registry(registry)
        self.online = online  # logs every prediction and records outcomes, when given
        self._lock = threading.Lock()
        self._promoted: SupportModel | None = None
        self._rejected: str | None = None  # a promoted version that failed to load
        self._pinned: dict[str, SupportModel] = {}  # versions requested by name, loaded on demand
        self._listeners: list[Callable[[SupportModel], object]] = []
        self.experiments = Router(ExperimentStore(self.registry))  # the running ones, reloaded with promotion
        # Shadows on a thread here; the server moves them to a process of their own (serving/shadow_process.py).
        self.shadows: Shadows = ShadowScorer(score_shadow, self._log_shadows, self.experiments.model)
        if load_promoted:
            self.reload()

    # -- model lifecycle --------------------------------------------------------------------

    @property
    def model(self) -> SupportModel | None:
        """The promoted model currently answering, or None before one is loaded."""
        return self._promoted

    def on_model_change(self, listener: Callable[[SupportModel], object]) -> None:
        """Call `listener(model)` whenever a newly promoted model starts answering."""
        self._listeners.append(listener)

    def reload(self) -> bool:
        """Load the registry's promoted version if it is not the one answering, and the running
        experiments with their arms' models (experiments/router.py).

        Returns True when the answering model changed."""
        changed = self._reload_promoted()
        self.experiments.reload(self._arm_model)
        if any(live.shadows for live in self.experiments.live):
            self.shadows.start()  # here, not at the first request: spawning and loading take seconds
        return changed

    def _arm_model(self, version: str) -> SupportModel:
        current = self._promoted
        return current if current is not None and current.info.version == version else self.registry.load(version)

    def _reload_promoted(self) -> bool:
        """True when the answering model changed. A version that fails to load (missing, tampered,
        incompatible) is logged and rejected; the previous model keeps answering."""
        version = self.registry.promoted_version()
        current = self._promoted
        if version is None or version == self._rejected or (current is not None and current.info.version == version):
            return False
        try:
            model = self.registry.load(version)
        except (ArtifactError, ModelNotFoundError) as exc:
            self._rejected = version  # logged once, not at every check, until another is promoted
            log.error("rejected promoted model version", extra={"model_version": version, "error": str(exc)})
            return False
        self._promoted = model  # a single reference swap: in-flight calls keep the model they took
        log.info("serving model version", extra={"model_version": version})
        for listener in self._listeners:
            listener(model)
        return True

    def _model_for(self, version: str, request_id: str) -> SupportModel:
        current = self._promoted
        if not version or (current is not None and current.info.version == version):
            if current is None:
                raise errors.model_not_loaded(request_id)
            return current
        with self._lock:
            model = self._pinned.get(version)
            if model is None:
                try:
                    model = self.registry.load(version)
                except ModelNotFoundError:
                    raise errors.model_version_not_found(
                        version,
                        field_name="model_version",
                        code=grpc.StatusCode.INVALID_ARGUMENT,
                        request_id=request_id,
                    ) from None
                # Keep the most recently loaded few; a dict remembers insertion order.
                self._pinned[version] = model
                if len(self._pinned) > MAX_PINNED_VERSIONS:
                    del self._pinned[next(iter(self._pinned))]
            return model

    # -- predictions ------------------------------------------------------------------------

    def predict_case(
        self,
        support_case: support_case_pb2.SupportCase | prediction_service_pb2.PredictCaseRequest,
        *,
        model_version: str | None = None,
        options: prediction_pb2.PredictionOptions | None = None,
        request_id: str | None = None,
    ) -> prediction_service_pb2.PredictCaseResponse:
        """Validate and predict one case: a `SupportCase` or a `PredictCaseRequest`, as `Client.predict_case`."""
        request = predict_case_request(
            support_case, model_version=model_version, options=options, request_id=request_id
        )
        request_id = request.request_id or str(uuid.uuid4())
        prediction = self._predict_one(request, request_id)
        return prediction_service_pb2.PredictCaseResponse(prediction=prediction, request_id=request_id)

    def predict_stream_item(
        self, request: prediction_service_pb2.StreamPredictCasesRequest
    ) -> prediction_service_pb2.StreamPredictCasesResponse:
        """One message of a stream: an invalid case becomes an error in its response, not a failed stream."""
        request_id = request.request_id or str(uuid.uuid4())
        try:
            return prediction_service_pb2.StreamPredictCasesResponse(
                request_id=request_id, prediction=self._predict_one(request, request_id)
            )
        except errors.SupportabilityError as exc:
            return prediction_service_pb2.StreamPredictCasesResponse(request_id=request_id, error=exc.to_status())

    def batch_predict_cases(
        self,
        support_cases: Sequence[support_case_pb2.SupportCase] | prediction_service_pb2.BatchPredictCasesRequest,
        *,
        model_version: str | None = None,
        options: prediction_pb2.PredictionOptions | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
    ) -> prediction_service_pb2.BatchPredictCasesResponse:
        """Validate the whole batch, then predict it in vectorised chunks. Takes what
        `Client.batch_predict_cases` takes: a sequence of `SupportCase`, or a `BatchPredictCasesRequest`.

        `deadline` is a `time.monotonic()` instant: past it, the remaining chunks are not
        computed and DEADLINE_EXCEEDED is raised, so abandoned work stops early.
        """
        request = batch_predict_cases_request(
            support_cases, model_version=model_version, options=options, request_id=request_id
        )
        request_id = request.request_id or str(uuid.uuid4())
        cases = request.support_cases
        request_errors = (
            validation.batch_size_violations(len(cases))
            + validation.options_violations(request.options)
            + validation.request_id_violations(request.request_id)
        )
        if request_errors:
            raise errors.invalid_request(request_errors, request_id)
        case_errors = [
            v for i, case in enumerate(cases) for v in validation.case_violations(case, f"support_cases[{i}]")
        ]
        if case_errors:
            raise errors.invalid_case(case_errors, request_id)
        routes = routing.routes(
            self.experiments, cases, request.model_version, request_id, "support_cases[{}]"
        )  # a unit per case
        response = prediction_service_pb2.BatchPredictCasesResponse(request_id=request_id)
        for start in range(0, len(cases), BATCH_CHUNK):
            if deadline is not None and time.monotonic() > deadline:
                raise errors.deadline_exceeded(request_id)
            chunk = slice(start, start + BATCH_CHUNK)
            routed = None if routes is None else routes[chunk]
            self._predict(cases[chunk], routed, request, request_id, into=response.predictions)
        return response

    def _predict_one(
        self,
        request: prediction_service_pb2.PredictCaseRequest | prediction_service_pb2.StreamPredictCasesRequest,
        request_id: str,
    ) -> prediction_pb2.CasePrediction:
        request_errors = validation.options_violations(request.options) + validation.request_id_violations(
            request.request_id
        )
        if request_errors:
            raise errors.invalid_request(request_errors, request_id)
        if not request.HasField("support_case"):
            raise errors.invalid_case([errors.FieldViolation("support_case", "required")], request_id)
        case_errors = validation.case_violations(request.support_case, "support_case")
        if case_errors:
            raise errors.invalid_case(case_errors, request_id)
        cases = [request.support_case]
        return self._predict(
            cases,
            routing.routes(self.experiments, cases, request.model_version, request_id, "support_case"),
            request,
            request_id,
        )[0]

    def _predict(
        self,
        cases: Sequence[support_case_pb2.SupportCase],
        routes: Sequence[Routed] | None,
        request: _Request,
        request_id: str,
        into: RepeatedCompositeFieldContainer[prediction_pb2.CasePrediction] | None = None,
    ) -> list[prediction_pb2.CasePrediction]:
        """Each case on its arm's model (else the requested or promoted one), one vectorised call per
        model; then the shadows' jobs are offered, off the request path. `into` (a response's
        repeated field) receives the predictions in the cases' order."""
        if not routes or routes[0].model is None:  # no experiment runs, or the request named its version
            model = self._model_for(request.model_version, request_id)
            return self._run(model, cases, request.options, routes, into)
        groups = routing.by_model(routes)
        if len(groups) == 1:  # one arm answers every case (a PredictCase always): nothing to reorder
            predictions = self._run(groups[0][0], cases, request.options, routes, into)
        else:
            by_index: dict[int, prediction_pb2.CasePrediction] = {}
            for model, index in groups:
                done = self._run(model, [cases[i] for i in index], request.options, [routes[i] for i in index])
                by_index.update(zip(index, done, strict=True))
            predictions = [by_index[i] for i in range(len(cases))]
            if into is not None:  # the models answered out of order: copied into place
                into.extend(predictions)
        for job in routing.shadow_jobs(routes, cases, predictions):
            self.shadows.offer(job)
        return predictions

    def _log_shadows(self, shadows: Sequence[ShadowPrediction]) -> None:
        if self.online is not None:
            self.online.store.log_shadow_predictions(shadows)

    def _run(
        self,
        model: SupportModel,
        cases: Sequence[support_case_pb2.SupportCase],
        options: prediction_pb2.PredictionOptions,
        routes: Sequence[Routed] | None = None,
        into: RepeatedCompositeFieldContainer[prediction_pb2.CasePrediction] | None = None,
    ) -> list[prediction_pb2.CasePrediction]:
        started = time.perf_counter()
        plain = [convert.case_from_proto(c) for c in cases]
        results = model.predict(
            plain,
            top_k=options.top_k or DEFAULT_TOP_K,
            article_count=options.article_count or DEFAULT_ARTICLE_COUNT,
            explain=options.explain,
        )
        version = model.info.version
        ids = new_prediction_ids(len(results))
        new = prediction_pb2.CasePrediction if into is None else into.add
        predictions = [
            convert.prediction_to_proto(r, case_id=c.case_id, model_version=version, prediction_id=i, new=new)
            for r, c, i in zip(results, cases, ids, strict=True)
        ]
        for routed, prediction in zip(routes, predictions, strict=True) if routes is not None else ():
            if routed.shown:
                prediction.experiment.experiment = routed.assignment.experiment
                prediction.experiment.arm = routed.assignment.arm or ""
        if self.online is not None:
            latency_ms = (time.perf_counter() - started) * 1e3
            self.online.log(plain, predictions, latency_ms, None if routes is None else [r.assignment for r in routes])
        return predictions

    # -- outcomes (the OutcomeService) ---------------------------------------------------------

    def _online_loop(self) -> OnlineLoop:
        if self.online is None:
            raise errors.store_unavailable("this predictor has no online store (Predictor(..., online=...))")
        return self.online

    def record_outcome(
        self, request: outcome_service_pb2.RecordOutcomeRequest
    ) -> outcome_service_pb2.RecordOutcomeResponse:
        """Record what happened to a predicted case; returns once it is durably stored."""
        return self._online_loop().record(request).result()

    def batch_record_outcomes(
        self, request: outcome_service_pb2.BatchRecordOutcomesRequest
    ) -> outcome_service_pb2.BatchRecordOutcomesResponse:
        """Record up to 1,000 outcomes atomically."""
        return self._online_loop().batch_record(request).result()

    def get_prediction_record(
        self, request: outcome_service_pb2.GetPredictionRecordRequest
    ) -> outcome_service_pb2.GetPredictionRecordResponse:
        """A logged prediction joined with its outcome and the outcome's history."""
        return self._online_loop().get_record(request)

    # -- models -----------------------------------------------------------------------------

    def list_models(self, request: model_service_pb2.ListModelsRequest) -> model_service_pb2.ListModelsResponse:
        """A page of the registry's versions, newest first; the page token is an offset."""
        violations = []
        if not 0 <= request.page_size <= MAX_PAGE_SIZE:
            violations.append(errors.FieldViolation("page_size", f"must be between 0 and {MAX_PAGE_SIZE}"))
        if request.page_token and not request.page_token.isdigit():
            violations.append(errors.FieldViolation("page_token", "not a token from a previous response"))
        if violations:
            raise errors.invalid_request(violations)
        start = int(request.page_token or 0)
        size = request.page_size or DEFAULT_PAGE_SIZE
        infos = self.registry.list()
        promoted = self.registry.promoted_version()
        page = infos[start : start + size]
        return model_service_pb2.ListModelsResponse(
            models=[convert.model_to_proto(i, promoted=i.version == promoted) for i in page],
            next_page_token=str(start + size) if start + size < len(infos) else "",
        )

    def get_model(self, request: model_service_pb2.GetModelRequest) -> model_service_pb2.GetModelResponse:
        """One version by name, or the promoted one when none is named."""
        promoted = self.registry.promoted_version()
        version = request.version or promoted
        if version is None:
            raise errors.model_not_loaded()
        try:
            info = self.registry.info(version)
        except ModelNotFoundError:
            raise errors.model_version_not_found(
                version, field_name="version", code=grpc.StatusCode.NOT_FOUND
            ) from None
        return model_service_pb2.GetModelResponse(model=convert.model_to_proto(info, promoted=version == promoted))

    # -- experiments ------------------------------------------------------------------------

    def list_experiments(
        self, request: model_service_pb2.ListExperimentsRequest
    ) -> model_service_pb2.ListExperimentsResponse:
        """Every experiment in the registry, by name, with the arms this server is assigning to."""
        live = {lv.experiment.name: lv.weights for lv in self.experiments.live}
        return model_service_pb2.ListExperimentsResponse(
            experiments=[convert.experiment_to_proto(e, live.get(e.name)) for e in self.experiments.store.list()]
        )

    def get_experiment(
        self, request: model_service_pb2.GetExperimentRequest
    ) -> model_service_pb2.GetExperimentResponse:
        """One experiment by name; NOT_FOUND when there is none."""
        try:
            experiment = self.experiments.store.get(request.name)
        except ExperimentNotFound as exc:
            raise errors.experiment_not_found(request.name) from exc
        live = {lv.experiment.name: lv.weights for lv in self.experiments.live}
        return model_service_pb2.GetExperimentResponse(
            experiment=convert.experiment_to_proto(experiment, live.get(experiment.name))
        )
