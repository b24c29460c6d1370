"""OnlineMonitor: the key figures as gauges, the broken-promise alarm, and refreshes that never raise."""

from __future__ import annotations

import json
import logging
import math
import threading
from datetime import datetime

import pytest
from prometheus_client import CollectorRegistry

from supportability.online.monitor import OnlineMonitor
from supportability.online.store import OutcomeFrame, StoreUnavailable
from supportability.online.synthetic import SimulationConfig, reference_manifest, simulate, to_frame
from supportability.registry import Registry

CONFIG = SimulationConfig(n=4_000, seed=6, versions=("v1", "v2"), days=1.0)
END = CONFIG.start + CONFIG.days * 86_400


class FrameStore:
    """A stand-in OnlineStore: the simulated frame, or the outage it is told to have."""

    def __init__(self) -> None:
        self.frame_value = to_frame(simulate(CONFIG))
        self.down = False
        self.calls: list[datetime | None] = []

    def frame(self, *, since=None, until=None, version=None) -> OutcomeFrame:
        self.calls.append(since)
        if self.down:
            raise StoreUnavailable("the online store is unavailable: connection refused")
        return self.frame_value


def _registry(path, targets: dict[str, float]) -> Registry:
    registry = Registry(path)
    for version, target in targets.items():
        (registry.versions_dir / version).mkdir(parents=True)
        manifest = reference_manifest(CONFIG, version, target_precision=target, with_reference=False)
        (registry.versions_dir / version / "manifest.json").write_text(json.dumps(manifest))
    return registry


def _value(collectors: CollectorRegistry, name: str, version: str | None = None) -> float | None:
    labels = {"version": version} if version else {}
    return collectors.get_sample_value(f"supportability_online_{name}", labels)


def test_refresh_sets_the_gauges_and_raises_the_alarm_once(tmp_path, caplog):
    collectors = CollectorRegistry()
    store = FrameStore()
    monitor = OnlineMonitor(store, _registry(tmp_path, {"v1": 0.85, "v2": 0.99}), collectors, clock=lambda: END)
    with caplog.at_level(logging.INFO, logger="supportability.online.monitor"):
        overall = monitor.refresh()
        monitor.refresh()
    assert overall is not None and [e.version for e in overall] == ["v1", "v2"]
    assert store.calls[0] is not None and store.calls[0].timestamp() == pytest.approx(END - 86_400)
    v1 = overall[0]
    assert _value(collectors, "top1_accuracy", "v1") == pytest.approx(v1.routing.top1.value)
    assert _value(collectors, "label_coverage", "v1") == pytest.approx(v1.labels.coverage.value)
    assert _value(collectors, "ece", "v1") == pytest.approx(v1.routing.ece.value)
    low, high = (
        _value(collectors, "decision_precision_lower", "v1"),
        _value(collectors, "decision_precision_upper", "v1"),
    )
    assert low < _value(collectors, "decision_precision", "v1") < high
    assert _value(collectors, "decision_precision_below_target", "v1") == 0.0
    assert _value(collectors, "decision_precision_below_target", "v2") == 1.0  # promised 0.99, delivers ~0.89
    alarms = [r for r in caplog.records if r.levelno == logging.WARNING and "below its target" in r.getMessage()]
    assert len(alarms) == 1 and "v2" in alarms[0].getMessage()  # once, not on every refresh
    assert _value(collectors, "refresh_timestamp_seconds") == END


def test_an_unavailable_store_is_counted_not_raised(tmp_path):
    collectors = CollectorRegistry()
    store = FrameStore()
    monitor = OnlineMonitor(store, _registry(tmp_path, {"v1": 0.85}), collectors, clock=lambda: END)
    assert monitor.refresh() is not None
    before = _value(collectors, "top1_accuracy", "v1")
    store.down = True
    assert monitor.refresh() is None
    assert _value(collectors, "refresh_failures_total") == 1.0
    assert _value(collectors, "top1_accuracy", "v1") == before  # the last values stay
    assert math.isnan(_value(collectors, "decision_target_precision", "v2"))  # v2: not in the registry...
    assert _value(collectors, "decision_precision_below_target", "v2") == 0.0  # ...so no target, no alarm


def test_concurrent_refreshes_are_safe(tmp_path):
    monitor = OnlineMonitor(FrameStore(), _registry(tmp_path, {}), CollectorRegistry(), clock=lambda: END)
    results, errors = [], []

    def run() -> None:
        try:
            results.append(monitor.refresh())
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and any(r is not None for r in results)
