"""Prometheus metrics, served on their own port so scraping never competes with predictions."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from supportability.v1 import prediction_pb2

# Buckets sized for sub-millisecond predictions up to large batches.
_LATENCY_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# From a deadline nearly spent in the queue to beyond the contract's default of 5 s.
_REMAINING_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServerMetrics:
    """The server's instruments, in a registry of their own (tests can run several servers)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "supportability_rpc_calls",
            "Completed calls by method and status code.",
            ["method", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "supportability_rpc_latency_seconds",
            "Call latency by method and status code.",
            ["method", "code"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "supportability_predictions",
            "Predictions by top queue and decision.",
            ["queue", "decision"],
            registry=self.registry,
        )
        self.admitted = Counter(
            "supportability_calls_admitted",
            "Unary calls past load shedding, to be parsed and answered (completed ones: supportability_rpc_calls).",
            registry=self.registry,
        )
        self.load_shed = Counter(
            "supportability_load_shed",
            "Calls refused with RESOURCE_EXHAUSTED, by reason: deadline (too little of the caller's deadline was "
            "left when the handler started) or concurrency (too many calls in flight).",
            ["reason"],
            registry=self.registry,
        )
        self.deadline_remaining = Histogram(
            "supportability_deadline_remaining_seconds",
            "What was left of a unary call's deadline when its handler started: it shrinks as gRPC's queue grows.",
            buckets=_REMAINING_BUCKETS,
            registry=self.registry,
        )
        self._call_children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._prediction_children: dict[tuple[str, int], Any] = {}
        self.prediction_log_written = Counter(
            "supportability_prediction_log_written", "Predictions written to the online store.", registry=self.registry
        )
        self.prediction_log_dropped = Counter(
            "supportability_prediction_log_dropped",
            "Predictions served but not logged, by reason (queue_full, store_unavailable, error).",
            ["reason"],
            registry=self.registry,
        )
        self.outcome_commit_groups = Histogram(
            "supportability_outcome_commit_groups",
            "Outcome calls acknowledged by one durable commit (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.store_up = Gauge(
            "supportability_store_up",
            "1 while the online store answers, 0 while it is unavailable.",
            registry=self.registry,
        )
        self.model_version = Gauge(
            "supportability_model_info",
            "1 for the model version serving by default.",
            ["version", "kind"],
            registry=self.registry,
        )

    def serve(self, address: str) -> int:
        """Expose /metrics on host:port (port 0 picks one); returns the bound port."""
        host, _, port = address.rpartition(":")
        server, _thread = start_http_server(int(port), addr=host or "127.0.0.1", registry=self.registry)
        return server.server_port

    def observe_call(self, method: str, code: str, seconds: float) -> None:
        # labels() costs a lock and a dict look-up each time; the children are cached per label set.
        children = self._call_children.get((method, code))
        if children is None:
            children = self._call_children[(method, code)] = (
                self.calls.labels(method, code),
                self.latency.labels(method, code),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_predictions(self, predictions: Iterable[prediction_pb2.CasePrediction]) -> None:
        counts = collections.Counter(
            (p.routing.top_queues[0].queue if p.routing.top_queues else "", p.decision.action) for p in predictions
        )
        for (queue, action), n in counts.items():
            child = self._prediction_children.get((queue, action))
            if child is None:
                child = self._prediction_children[(queue, action)] = self.predictions.labels(
                    queue, prediction_pb2.DecisionAction.Name(action)
                )
            child.inc(n)

    def set_model_version(self, version: str, kind: str) -> None:
        self.model_version.clear()
        self.model_version.labels(version, kind).set(1)
