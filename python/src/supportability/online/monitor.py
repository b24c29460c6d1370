"""`OnlineMonitor`: the online key figures as Prometheus gauges, refreshed from the store.

    monitor = OnlineMonitor(store, registry, metrics.registry)
    monitor.refresh()  # from a thread, e.g. once a minute

Each refresh reads the recent window (a day by default: outcomes arrive hours after their
predictions, so a short window would hold few of them), computes the figures per version, and
sets `supportability_online_*{version}`. When the upper 95% bound of a version's live decision
precision falls below its promised target, `supportability_online_decision_precision_below_target`
is 1 and a warning is logged once (and an info line when it recovers).

A refresh costs about 15 µs per prediction in the window (reading and decoding them), so size the
window and the interval to the traffic. It never raises: a store that is down is logged and
counted, and the gauges keep their last values. Concurrent calls do not pile up: a refresh that
finds another one running returns at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge

from supportability.online.evaluation import Figure, WindowEvaluation, evaluate, target_precision
from supportability.online.store import OnlineStore, StoreError
from supportability.registry import Registry, RegistryError

log = logging.getLogger(__name__)
PREFIX = "supportability_online_"
DEFAULT_WINDOW = timedelta(days=1)

# gauge name -> (help, how to read it from a version's evaluation)
_FIGURES: dict[str, tuple[str, Callable[[WindowEvaluation], Figure | float | None]]] = {
    "predictions": ("Predictions in the window.", lambda e: float(e.predictions)),
    "label_coverage": ("Share of the window's predictions with an outcome.", lambda e: e.labels.coverage),
    "label_delay_median_hours": ("Median hours from prediction to outcome.", lambda e: e.labels.delay_median_hours),
    "top1_accuracy": ("Routing top-1 accuracy against the resolved queue.", lambda e: e.routing.top1),
    "estimated_top1_accuracy": (
        "Label-free top-1 accuracy estimate for predictions whose queue is not known yet.",
        lambda e: e.routing.estimated_top1,
    ),
    "ece": ("Expected calibration error of the routing top-1 probability.", lambda e: e.routing.ece),
    "decision_precision": ("Live precision of auto-routed cases.", lambda e: e.decision.precision),
    "decision_precision_lower": (
        "Lower 95% (Wilson) bound of the live decision precision.",
        lambda e: e.decision.precision.low,
    ),
    "decision_precision_upper": (
        "Upper 95% (Wilson) bound of the live decision precision.",
        lambda e: e.decision.precision.high,
    ),
    "decision_target_precision": ("The decision's promised precision.", lambda e: e.decision.target_precision),
    "decision_coverage": ("Share of decided predictions auto-routed.", lambda e: e.decision.coverage),
    "decision_precision_below_target": (
        "1 when the upper bound of the live decision precision is below its target.",
        lambda e: float(e.decision.below_target),
    ),
}


def _number(value: Figure | float | None) -> float:
    if isinstance(value, Figure):
        value = value.value
    return math.nan if value is None else float(value)


class OnlineMonitor:
    """Sets the online gauges in `collector_registry` from `store`; `refresh` is thread-safe."""

    def __init__(
        self,
        store: OnlineStore,
        registry: Registry,
        collector_registry: CollectorRegistry,
        *,
        window: timedelta = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.registry, self.window, self._clock = store, registry, window, clock
        self._gauges = {
            name: Gauge(PREFIX + name, help_text, ["version"], registry=collector_registry)
            for name, (help_text, _) in _FIGURES.items()
        }
        self._refreshed = Gauge(PREFIX + "refresh_timestamp_seconds", "When the figures were last refreshed.",
                                registry=collector_registry)  # fmt: skip
        self._duration = Gauge(PREFIX + "refresh_duration_seconds", "How long the last refresh took.",
                               registry=collector_registry)  # fmt: skip
        self._failures = Counter(PREFIX + "refresh_failures", "Refreshes that could not read the store.",
                                 registry=collector_registry)  # fmt: skip
        self._lock = threading.Lock()
        self._targets: dict[str, float | None] = {}  # a version's promise never changes once registered
        self._shown: set[str] = set()
        self._below: set[str] = set()

    def _target(self, version: str) -> float | None:
        if version not in self._targets:
            try:
                self._targets[version] = target_precision(self.registry.manifest(version))
            except RegistryError:
                return None  # not (yet) in this registry: try again next time
        return self._targets[version]

    def refresh(self, window: timedelta | None = None) -> tuple[WindowEvaluation, ...] | None:
        """Recompute the figures over the last `window` (default: the monitor's) and set the gauges.

        Returns each version's evaluation, or None when the store could not be read or another
        refresh was running.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            started = time.perf_counter()
            since = datetime.fromtimestamp(self._clock(), UTC) - (window or self.window)
            try:
                frame = self.store.frame(since=since)
                versions = sorted(set(frame.model_version.tolist()))
                evaluation = evaluate(frame, {v: self._target(v) for v in versions}, buckets=False)
            except StoreError as exc:
                self._failures.inc()
                log.warning("online monitor could not read the store", extra={"error": str(exc)})
                return None
            except Exception:  # a bug of ours must not stop the caller's loop
                self._failures.inc()
                log.exception("online monitor refresh failed")
                return None
            self._publish(evaluation.overall)
            self._refreshed.set(self._clock())
            self._duration.set(time.perf_counter() - started)
            return evaluation.overall
        finally:
            self._lock.release()

    def _publish(self, overall: tuple[WindowEvaluation, ...]) -> None:
        for version in self._shown - {e.version for e in overall}:  # gone from the window: drop its series
            for gauge in self._gauges.values():
                gauge.remove(version)
            self._below.discard(version)
        self._shown = {e.version for e in overall}
        for e in overall:
            for name, (_, read) in _FIGURES.items():
                self._gauges[name].labels(e.version).set(_number(read(e)))
            self._alert(e)

    def _alert(self, e: WindowEvaluation) -> None:
        d = e.decision
        if d.below_target and e.version not in self._below:
            self._below.add(e.version)
            log.warning(
                "live decision precision of %s is below its target: upper 95%% bound %.3f < target %.3f (n=%d)",
                e.version,
                d.precision.high,
                d.target_precision,
                d.precision.n,
                extra={
                    "model_version": e.version,
                    "precision_upper": d.precision.high,
                    "target_precision": d.target_precision,
                },
            )
        elif not d.below_target and e.version in self._below:
            self._below.discard(e.version)
            log.info("live decision precision of %s is no longer below its target", e.version,
                     extra={"model_version": e.version})  # fmt: skip
