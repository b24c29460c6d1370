"""The gRPC server: a thin asyncio transport over `Predictor`.

Requests arrive as raw bytes and are parsed here, so a message that does not parse (a
string with invalid UTF-8, truncated bytes) is INVALID_ARGUMENT rather than grpcio's INTERNAL.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import grpc
import threadpoolctl
from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from supportability import errors
from supportability.experiments.updates import update_bandits
from supportability.online.loop import Answer, OnlineLoop, open_loop
from supportability.online.monitor import OnlineMonitor
from supportability.online.writer import WriterEvents
from supportability.serving import reflection, tracing
from supportability.serving.config import ServerConfig
from supportability.serving.metrics import ServerMetrics
from supportability.serving.predictor import Predictor
from supportability.serving.shadow_process import ShadowProcess
from supportability.v1 import model_service_pb2, outcome_service_pb2, prediction_pb2, prediction_service_pb2

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)

PREDICTION_SERVICE = prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"].full_name
MODEL_SERVICE = model_service_pb2.DESCRIPTOR.services_by_name["ModelService"].full_name
OUTCOME_SERVICE = outcome_service_pb2.DESCRIPTOR.services_by_name["OutcomeService"].full_name
# Open to every caller, as load balancers and grpcurl expect.
_OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
# The names health checks report on: the server as a whole ("") and each service.
_HEALTH_SERVICES = ("", PREDICTION_SERVICE, MODEL_SERVICE)
# How often logged predictions older than the retention period are deleted.
PRUNE_INTERVAL_SECONDS = 3600.0
# Batches computed at once. They hold the GIL for most of their work, so more threads add no speed,
# only memory: each batch in progress holds its arrays and response, and each thread its own malloc
# arena (with the default executor's six threads, the server grew from 140 to 194 MiB under make bench).
BATCH_THREADS = 2
# A caller's deadline ends a call here as its cancellation, which can arrive a little before this
# server's copy of the deadline (counted from when the headers arrived) passes: up to 3.3 ms before
# it in 200 of test_stress.py's deadline calls beside 3 CPU burners. One that close counts as the deadline.
DEADLINE_CANCEL_SLACK_SECONDS = 0.05


def _deadline_passed(context: grpc.aio.ServicerContext) -> bool:
    remaining = context.time_remaining()
    return remaining is not None and remaining <= DEADLINE_CANCEL_SLACK_SECONDS


def _cancelled_by(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    """What ended a call that grpc cancelled: its deadline, or its caller."""
    return grpc.StatusCode.DEADLINE_EXCEEDED if _deadline_passed(context) else grpc.StatusCode.CANCELLED


async def _abort(context: grpc.aio.ServicerContext, error: errors.SupportabilityError) -> NoReturn:
    status = rpc_status.to_status(error.to_status())  # the details go in grpc-status-details-bin
    await context.abort(status.code, status.details, trailing_metadata=status.trailing_metadata)


def _parse(message_type: type[M], data: bytes) -> M:
    try:
        return message_type.FromString(data)
    except DecodeError:
        raise errors.invalid_request(
            [
                errors.FieldViolation(
                    "",
                    f"not a valid {message_type.DESCRIPTOR.full_name}: the bytes do not parse "
                    "(for example, a string field holds invalid UTF-8)",
                )
            ]
        ) from None


class _Shedder:
    """Load shedding, decided as a unary call's handler starts, before its request is parsed.

    An overloaded server's queue forms inside gRPC, before any handler runs: grpc.aio takes one
    call from the core per event-loop turn and a CPU-bound handler runs to completion, so calls
    wait in the core's backlog, where Python can neither count them nor see when they arrived
    (measured on a 0.4 ms handler at 200 callers: p50 0.07 ms from a call's interceptor to its
    handler, ~190 ms in the core before). What a handler does see is its deadline, shrunk by that
    wait. So a call with less than `deadline_margin_seconds` left is refused at once: answered, it
    would be late or nearly so, and it would cost the calls queued behind it. The concurrency limit
    catches the work that does overlap (offloaded batches, durable writes). Both answer
    RESOURCE_EXHAUSTED with RetryInfo. (Keeping a connection's calls out of that backlog in the
    first place is `max_concurrent_streams`, set on the server.)
    """

    def __init__(
        self, limit: int, retry_delay_seconds: float, deadline_margin_seconds: float, metrics: ServerMetrics
    ) -> None:
        self.limit = limit
        self.deadline_margin_seconds = deadline_margin_seconds
        self.in_flight = 0
        self.retry_delay_seconds = retry_delay_seconds
        self._shed_late, self._shed_busy = metrics.load_shed.labels("deadline"), metrics.load_shed.labels("concurrency")
        self._admitted, self._remaining = metrics.admitted, metrics.deadline_remaining

    def admit(self, remaining: float | None) -> None:
        """Count the call in, or raise OVERLOADED. `remaining`: seconds left of its deadline, if it has one.
        A call already past its deadline is let through, to be answered DEADLINE_EXCEEDED by name."""
        if remaining is not None:
            self._remaining.observe(remaining)
            if 0 < remaining < self.deadline_margin_seconds:
                self._shed_late.inc()
                raise errors.overloaded(self.retry_delay_seconds, why="too little of the call's deadline was left")
        if self.in_flight >= self.limit:
            self._shed_busy.inc()
            raise errors.overloaded(self.retry_delay_seconds)
        self.in_flight += 1
        self._admitted.inc()

    def release(self) -> None:
        self.in_flight -= 1


class SupportabilityServer:
    """Owns the grpc.aio server, health, reflection, hot reload and graceful shutdown."""

    def __init__(self, config: ServerConfig, predictor: Predictor | None = None) -> None:
        self.config = config
        self.predictor = predictor or Predictor(config.registry, load_promoted=False)
        self.health = health.aio.HealthServicer()
        self.metrics = ServerMetrics()
        self.metrics_port: int | None = None
        self._shedder = _Shedder(
            config.max_concurrent_calls,
            config.shed_retry_delay_seconds,
            config.shed_deadline_margin_seconds,
            self.metrics,
        )
        self._server: grpc.aio.Server | None = None
        self._batches = ThreadPoolExecutor(max_workers=BATCH_THREADS, thread_name_prefix="batch")
        self._reloader: asyncio.Task[None] | None = None
        self._pruner: asyncio.Task[None] | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._bandits: asyncio.Task[None] | None = None
        self.online: OnlineLoop | None = None
        self.port: int | None = None

    # -- handlers -----------------------------------------------------------------------

    def _unary(
        self,
        method: str,
        request_type: type[Message],
        call: Callable[..., Any],
        *,
        offload: Executor | bool = False,
        predictions: Callable[[Any], Iterable[prediction_pb2.CasePrediction]] | None = None,
    ) -> Callable[[bytes, grpc.aio.ServicerContext], Awaitable[bytes]]:
        """A handler for `call`; `predictions` picks a response's predictions for the metrics. `offload`
        runs `call` off the event loop: on the given executor, or (True) on the loop's default one."""

        async def handler(data: bytes, context: grpc.aio.ServicerContext) -> bytes:
            started = time.perf_counter()
            code, request_id, reason = grpc.StatusCode.OK, "", ""
            try:
                response = await self._answer(request_type, call, data, context, offload)
                request_id = getattr(response, "request_id", "")
                if predictions is not None:
                    self.metrics.observe_predictions(predictions(response))
                return response.SerializeToString()
            except errors.SupportabilityError as exc:
                code, request_id, reason = exc.code, exc.request_id, exc.reason
                await _abort(context, exc)
            except asyncio.CancelledError:  # the caller's deadline passed or it cancelled; grpc answered
                code = _cancelled_by(context)
                raise
            except Exception:  # a bug of ours: INTERNAL with the details logged, never the trace to the caller
                log.exception("unexpected error", extra={"method": method})
                code = grpc.StatusCode.INTERNAL
                await _abort(context, errors.internal())
            finally:
                elapsed = time.perf_counter() - started
                self.metrics.observe_call(method, code.name, elapsed)
                # Failed calls at INFO, successful and shed ones at DEBUG (shedding is counted, and a
                # line per shed call would add to the overload); never the case text.
                level = logging.DEBUG if code == grpc.StatusCode.OK or reason == "OVERLOADED" else logging.INFO
                if log.isEnabledFor(level):
                    log.log(
                        level,
                        "call",
                        extra={
                            "method": method,
                            "code": code.name,
                            "reason": reason,
                            "request_id": request_id,
                            "duration_ms": round(elapsed * 1e3, 3),
                        },
                    )

        return handler

    async def _answer(
        self,
        request_type: type[Message],
        call: Callable[..., Any],
        data: bytes,
        context: grpc.aio.ServicerContext,
        offload: Executor | bool,
    ) -> Message:
        remaining = context.time_remaining()
        self._shedder.admit(remaining)
        try:
            request = _parse(request_type, data)
            if remaining is not None and remaining <= 0:
                raise errors.deadline_exceeded(getattr(request, "request_id", ""))
            # Large work (batches) leaves the event loop free for other calls and stops at the
            # caller's deadline; single predictions take well under a millisecond and run inline.
            if offload:
                deadline = None if remaining is None else time.monotonic() + remaining
                executor = offload if isinstance(offload, Executor) else None
                return await asyncio.get_running_loop().run_in_executor(
                    executor, functools.partial(call, request, deadline=deadline)
                )
            response = call(request)
            if isinstance(response, Answer):  # a durable write: answered once committed
                return await response
            return response
        finally:
            self._shedder.release()

    async def _stream(self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        """One response per request message; a message that fails, for whatever reason, gets
        its error in its own response and the stream goes on."""
        started, code = time.perf_counter(), grpc.StatusCode.OK
        try:
            async for data in requests:
                yield self._stream_item(data).SerializeToString()
            # A caller's deadline or cancellation also ends the requests here, as if the caller had
            # finished (grpc.aio does not report it: grpc/grpc#36193): the deadline is told by the
            # time left, a cancellation not at all.
            if _deadline_passed(context):
                code = grpc.StatusCode.DEADLINE_EXCEEDED
        except asyncio.CancelledError:
            code = _cancelled_by(context)
            raise
        finally:
            self.metrics.observe_call("StreamPredictCases", code.name, time.perf_counter() - started)

    def _stream_item(self, data: bytes) -> prediction_service_pb2.StreamPredictCasesResponse:
        try:
            response = self.predictor.predict_stream_item(
                _parse(prediction_service_pb2.StreamPredictCasesRequest, data)
            )
        except errors.SupportabilityError as exc:
            return prediction_service_pb2.StreamPredictCasesResponse(error=exc.to_status())
        except Exception:  # a bug of ours must not end every other caller's stream
            log.exception("unexpected error", extra={"method": "StreamPredictCases"})
            return prediction_service_pb2.StreamPredictCasesResponse(error=errors.internal().to_status())
        if response.HasField("prediction"):
            self.metrics.observe_predictions([response.prediction])
        return response

    def _handlers(self) -> list[grpc.GenericRpcHandler]:
        p = self.predictor
        prediction: dict[str, grpc.RpcMethodHandler] = {
            "PredictCase": grpc.unary_unary_rpc_method_handler(
                self._unary(
                    "PredictCase",
                    prediction_service_pb2.PredictCaseRequest,
                    p.predict_case,
                    predictions=lambda response: (response.prediction,),
                )
            ),
            "BatchPredictCases": grpc.unary_unary_rpc_method_handler(
                self._unary(
                    "BatchPredictCases",
                    prediction_service_pb2.BatchPredictCasesRequest,
                    p.batch_predict_cases,
                    offload=self._batches,
                    predictions=lambda response: response.predictions,
                )
            ),
            "StreamPredictCases": grpc.stream_stream_rpc_method_handler(self._stream),
        }
        models: dict[str, grpc.RpcMethodHandler] = {
            "ListModels": grpc.unary_unary_rpc_method_handler(
                self._unary("ListModels", model_service_pb2.ListModelsRequest, p.list_models)
            ),
            "GetModel": grpc.unary_unary_rpc_method_handler(
                self._unary("GetModel", model_service_pb2.GetModelRequest, p.get_model)
            ),
            "ListExperiments": grpc.unary_unary_rpc_method_handler(
                self._unary("ListExperiments", model_service_pb2.ListExperimentsRequest, p.list_experiments)
            ),
            "GetExperiment": grpc.unary_unary_rpc_method_handler(
                self._unary("GetExperiment", model_service_pb2.GetExperimentRequest, p.get_experiment)
            ),
        }
        handlers = [
            grpc.method_handlers_generic_handler(PREDICTION_SERVICE, prediction),
            grpc.method_handlers_generic_handler(MODEL_SERVICE, models),
        ]
        if self.online is not None:
            handlers.append(grpc.method_handlers_generic_handler(OUTCOME_SERVICE, self._outcome_handlers(self.online)))
        return handlers

    def _outcome_handlers(self, online: OnlineLoop) -> dict[str, grpc.RpcMethodHandler]:
        """RecordOutcome and BatchRecordOutcomes answer once their group commit is durable;
        GetPredictionRecord reads on an executor thread."""
        return {
            "RecordOutcome": grpc.unary_unary_rpc_method_handler(
                self._unary("RecordOutcome", outcome_service_pb2.RecordOutcomeRequest, online.record)
            ),
            "BatchRecordOutcomes": grpc.unary_unary_rpc_method_handler(
                self._unary("BatchRecordOutcomes", outcome_service_pb2.BatchRecordOutcomesRequest, online.batch_record)
            ),
            "GetPredictionRecord": grpc.unary_unary_rpc_method_handler(
                self._unary(
                    "GetPredictionRecord",
                    outcome_service_pb2.GetPredictionRecordRequest,
                    lambda request, deadline: online.get_record(request),
                    offload=True,
                )
            ),
        }

    # -- lifecycle ------------------------------------------------------------------------

    def _credentials(self) -> grpc.ServerCredentials | None:
        c = self.config
        if not (c.tls_cert and c.tls_key):
            return None
        root = Path(c.tls_client_ca).read_bytes() if c.tls_client_ca else None
        return grpc.ssl_server_credentials(
            [(Path(c.tls_key).read_bytes(), Path(c.tls_cert).read_bytes())],
            root_certificates=root,
            require_client_auth=root is not None,
        )

    async def start(self) -> int:
        """Bind, load the promoted model, report SERVING; returns the bound port."""
        interceptors: list[grpc.aio.ServerInterceptor] = []
        if self.config.tracing:
            interceptors.append(tracing.server_interceptor(self.config.tracing))
        tokens = self.config.bearer_tokens()  # reads token_file: once
        if tokens:
            interceptors.append(_BearerTokenInterceptor(tokens))
        loop = asyncio.get_running_loop()
        if self.config.store != "none":
            self.online = await loop.run_in_executor(None, self._open_online, loop)
            self.predictor.online = self.online
            self.predictor.shadows = ShadowProcess(str(self.predictor.registry.path), self.config.store)
        # Port sharing only among the workers of one `serve --workers N`: a second server started
        # by mistake on a port in use fails to bind instead of silently taking half its calls.
        options: list[tuple[str, int]] = [("grpc.so_reuseport", int(self.config.workers > 1))]
        if self.config.max_concurrent_streams:
            options.append(("grpc.max_concurrent_streams", self.config.max_concurrent_streams))
        self._server = grpc.aio.server(interceptors=interceptors, options=options)
        self._server.add_generic_rpc_handlers(self._handlers())
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        services = (PREDICTION_SERVICE, MODEL_SERVICE, *((OUTCOME_SERVICE,) if self.online else ()))
        reflection.enable((*services, health.SERVICE_NAME), self._server)
        credentials = self._credentials()
        if credentials:
            self.port = self._server.add_secure_port(self.config.address, credentials)
        else:
            self.port = self._server.add_insecure_port(self.config.address)
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        if self.online is not None:
            self._on_store_change(up=True)
            if self.online.retention is not None:
                self._pruner = loop.create_task(self._prune_periodically(self.online))
            if self.config.monitor_interval_seconds > 0:
                monitor = OnlineMonitor(self.online.store, self.predictor.registry, self.metrics.registry)
                self._monitor = loop.create_task(self._monitor_periodically(monitor))
            if self.config.bandit_update_interval_seconds > 0:
                self._bandits = loop.create_task(self._update_bandits_periodically(self.online))
        await self._server.start()
        if self.config.metrics_address:
            self.metrics_port = self.metrics.serve(self.config.metrics_address)
        await loop.run_in_executor(None, self.predictor.reload)
        if self.predictor.model is not None:  # loaded just now, or before the server was made
            await self._set_health(health_pb2.HealthCheckResponse.SERVING)
            self.metrics.set_model_version(self.predictor.model.info.version, self.predictor.model.info.kind)
        # Later swaps (hot reload, from executor threads) are reported back on the event loop.
        self.predictor.on_model_change(lambda model: loop.call_soon_threadsafe(self._on_model_change, model))
        if self.config.reload_interval_seconds > 0:
            self._reloader = loop.create_task(self._watch_registry())
        bound = f"{self.config.address.rsplit(':', 1)[0]}:{self.port}"
        if self.config.ready_file:
            write_ready_file(self.config.ready_file, bound)
        log.info(
            "serving",
            extra={
                "address": bound,
                "pid": os.getpid(),
                "metrics_port": self.metrics_port,
                "tls": bool(credentials),
                "auth": bool(tokens),
                "tracing": self.config.tracing,
            },
        )
        return self.port

    def _open_online(self, loop: asyncio.AbstractEventLoop) -> OnlineLoop:
        """The online store and its writer; the writer's events feed the metrics and health."""
        c, m = self.config, self.metrics
        events = WriterEvents(
            written=m.prediction_log_written.inc,
            dropped=lambda reason, n: m.prediction_log_dropped.labels(reason).inc(n),
            committed_outcomes=m.outcome_commit_groups.observe,
            store_up=lambda up: loop.call_soon_threadsafe(self._on_store_change, up),
        )
        return open_loop(
            c.store,
            self.predictor.registry,
            log_predictions=c.log_predictions,
            keep_case_text=c.store_case_text,
            queue_size=c.prediction_log_queue,
            events=events,
            retention_days=c.retention_days,
            writer_process=True,
            event_loop=loop,
        )

    def _on_store_change(self, up: bool) -> None:
        """Runs on the event loop: the OutcomeService's health follows the store; predictions do not."""
        self.metrics.store_up.set(int(up))
        status = health_pb2.HealthCheckResponse.SERVING if up else health_pb2.HealthCheckResponse.NOT_SERVING
        asyncio.get_running_loop().create_task(self.health.set(OUTCOME_SERVICE, status))

    async def _prune_periodically(self, online: OnlineLoop) -> None:
        """Retention: delete old records now and then, off the event loop."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                deleted = await loop.run_in_executor(None, online.prune)
                if deleted:
                    log.info("pruned old predictions", extra={"deleted": deleted})
            except Exception:  # an unavailable store is retried at the next interval
                log.exception("pruning the online store failed")
            await asyncio.sleep(PRUNE_INTERVAL_SECONDS)

    async def _monitor_periodically(self, monitor: OnlineMonitor) -> None:
        """The online gauges, refreshed off the event loop (refresh never raises)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.monitor_interval_seconds)
            await loop.run_in_executor(None, monitor.refresh)

    async def _update_bandits_periodically(self, online: OnlineLoop) -> None:
        """The running bandits' batches from the stored outcomes, off the event loop (experiments/updates.py)."""
        loop = asyncio.get_running_loop()
        interval = self.config.bandit_update_interval_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await loop.run_in_executor(
                    None, update_bandits, self.predictor.experiments.store, online.store, interval
                )
            except Exception:  # an unavailable store is retried at the next interval
                log.exception("updating the bandits failed")

    def _on_model_change(self, model: Any) -> None:
        """Runs on the event loop after a reload thread swapped the model in."""
        self.metrics.set_model_version(model.info.version, model.info.kind)
        asyncio.get_running_loop().create_task(self._set_health(health_pb2.HealthCheckResponse.SERVING))

    async def _set_health(self, status: health_pb2.HealthCheckResponse.ServingStatus) -> None:
        for service in _HEALTH_SERVICES:
            await self.health.set(service, status)

    async def _watch_registry(self) -> None:
        """Hot reload: a newly promoted version is loaded beside the old one, then swapped in."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.reload_interval_seconds)
            try:
                await loop.run_in_executor(None, self.predictor.reload)
            except Exception:  # a broken registry must not stop the server that is serving
                log.exception("registry check failed")

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting calls, let in-flight ones finish within the grace period."""
        for task in (self._reloader, self._pruner, self._monitor, self._bandits):
            if task:
                task.cancel()
        await self.health.enter_graceful_shutdown()
        if self._server:
            await self._server.stop(self.config.shutdown_grace_seconds if grace is None else grace)
        self._batches.shutdown(wait=False)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.predictor.shadows.close)  # queued shadows are stored first
        if self.online is not None:  # what is queued is written before the process ends
            await loop.run_in_executor(None, self.online.close)

    async def wait_for_termination(self) -> None:
        assert self._server is not None
        await self._server.wait_for_termination()


class _BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Requires `authorization: Bearer <token>` on every call but health and reflection.
    Tokens are compared in constant time; neither they nor the header reach any log."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [t.encode() for t in tokens]
        self._reject_unary, self._reject_stream = _rejecting_handlers()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if details.method.startswith(_OPEN_SERVICES) or self._authorized(details.invocation_metadata):
            return handler
        return self._reject_stream if handler is not None and handler.request_streaming else self._reject_unary

    def _authorized(self, metadata: Any) -> bool:
        header = next((v for k, v in metadata or () if k == "authorization"), "")
        scheme, _, token = header.partition(" ")
        presented = token.strip().encode()
        # Check every token so the time taken says nothing about which one nearly matched.
        matched = False
        for expected in self._tokens:
            matched |= hmac.compare_digest(presented, expected)
        return scheme.lower() == "bearer" and matched


def _rejecting_handlers() -> tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]:
    """Handlers, unary and streaming, that fail every call with UNAUTHENTICATED."""
    error = errors.unauthenticated()

    async def unary(_request: Any, context: grpc.aio.ServicerContext) -> None:
        await _abort(context, error)

    async def streaming(_requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        await _abort(context, error)
        yield b""  # unreachable: makes this an async generator, as stream handlers must be

    return grpc.unary_unary_rpc_method_handler(unary), grpc.stream_stream_rpc_method_handler(streaming)


def write_ready_file(path: str, address: str) -> None:
    """host:port in `path`, for scripts and tests to wait on; readers never see a half-written file."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(address)
    os.replace(tmp, path)


async def serve(config: ServerConfig) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    # One BLAS thread: concurrency comes from calls, and idle BLAS workers spinning between
    # the small matrix products of a prediction only take CPU from the other calls.
    threadpoolctl.threadpool_limits(1)
    server = SupportabilityServer(config)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down", extra={"grace_seconds": config.shutdown_grace_seconds})
    await server.stop()
