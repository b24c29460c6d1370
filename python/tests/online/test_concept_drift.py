"""The generator's drift knob past the training window: the routing policy changes (REROUTE in
data/generator.py), so the default model, trained on the window, grows wrong on later cases. Its
auto-route precision holds its target inside the window and falls the further the simulated traffic
is past it, while the truth (the Bayes-optimal routing, policy change included) stays good; and the
prediction drift the drift panel shows (PSI of the top-1 queue) rises. In-process: no server."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from supportability import metrics
from supportability.cli import main
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig
from supportability.evaluation import reference as ref
from supportability.features.summary import summarize_inputs
from supportability.models.api import SupportModel
from supportability.online import drift, simulate
from supportability.registry import Registry

CASES = 3_000
STRONG_DRIFT = 4.0
YEAR = 365.0


@dataclasses.dataclass
class Served:
    data: LabeledCases
    top1: np.ndarray  # the model's top-1 queue per case
    auto: np.ndarray  # the decision auto-routes the case
    years_past: np.ndarray  # years from the window's end to the case's date (negative: inside it)

    def precision(self, rows: np.ndarray | None = None) -> tuple[float, float, float, int]:
        """Auto-route precision against the true labels, with its Wilson interval and sample size."""
        judged = self.auto if rows is None else self.auto & rows
        hits, n = int((self.top1[judged] == self.data.labels["queue"][judged]).sum()), int(judged.sum())
        low, high = metrics.wilson_interval(hits, n)
        return hits / n, low, high, n

    def bayes_precision(self) -> float:
        """The truth's own top-1 on the same auto-routed cases: what a model that knew the policy would get."""
        best = self.data.truth["queues"][self.data.truth["routing"].argmax(axis=1)]
        return float(np.mean(best[self.auto] == self.data.labels["queue"][self.auto]))


@pytest.fixture(scope="module")
def model(registry_path: Path) -> tuple[SupportModel, float]:
    registry = Registry(registry_path)
    version = registry.promoted_version()
    assert version is not None
    target = registry.manifest(version)["decision"]["target_precision"]
    return registry.load(version), float(target)


def _serve(model: SupportModel, plan: simulate.SimulationPlan) -> Served:
    data = simulate.traffic(plan)
    results = model.predict(data.cases, top_k=1)
    routes = [(r.routing[0][0], r.decision[0]) for r in results if r.routing and r.decision]
    assert len(routes) == len(results)
    window = GeneratorConfig()
    end = np.datetime64(window.start) + np.timedelta64(window.days, "D")
    dates = np.array([np.datetime64(c.create_time.replace(tzinfo=None)) for c in data.cases if c.create_time])
    assert len(dates) == len(data)
    return Served(
        data,
        np.array([queue for queue, _ in routes], dtype=object),
        np.array([action == "auto_route" for _, action in routes]),
        (dates - end) / np.timedelta64(1, "D") / YEAR,
    )


def _plan(seed: int, **changes: float) -> simulate.SimulationPlan:
    return simulate.SimulationPlan(cases=CASES, seed=seed, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def inside(model: tuple[SupportModel, float]) -> Served:
    return _serve(model[0], _plan(31))  # the default plan's dates and drift: the training window


@pytest.fixture(scope="module")
def late(model: tuple[SupportModel, float]) -> Served:
    return _serve(model[0], _plan(32, drift=STRONG_DRIFT, days_after_window=2 * YEAR))


def test_the_simulation_dates_its_cases_after_the_window_when_asked(inside: Served, late: Served) -> None:
    assert (inside.years_past < 0).all() and (inside.years_past > -2.01).all()
    assert (late.years_past >= 2).all() and (late.years_past < 4.01).all()
    assert (np.diff(late.years_past) >= 0).all()  # oldest first: the run moves further past the window
    defaults = {p.name: p.default for p in main.commands["simulate"].params}
    assert defaults["days_after_window"] is simulate.SimulationPlan().days_after_window is None
    with pytest.raises(ValueError):
        simulate.SimulationPlan(days_after_window=-1.0)


def test_auto_route_precision_holds_inside_the_window_and_falls_after_it(
    model: tuple[SupportModel, float], inside: Served, late: Served
) -> None:
    target = model[1]
    before, low, high, n = inside.precision()
    after, after_low, after_high, after_n = late.precision()
    print(
        f"\nauto-route precision (target {target:.2f}): inside the window {before:.3f} "
        f"[{low:.3f}, {high:.3f}] on {n}; 2-4 years past it at drift {STRONG_DRIFT:g} {after:.3f} "
        f"[{after_low:.3f}, {after_high:.3f}] on {after_n}; "
        f"the truth's own precision on those {late.bayes_precision():.3f}"
    )
    assert low - 0.01 <= target <= high + 0.01  # on target, up to the model's calibration error
    assert after_high < low - 0.3  # far outside either interval
    # The cases are still routable: a model that knew the new policy would still be precise.
    assert late.bayes_precision() > 0.85


def test_precision_falls_as_the_traffic_moves_further_past_the_window(model: tuple[SupportModel, float]) -> None:
    served = _serve(model[0], _plan(33, drift=STRONG_DRIFT, days_after_window=0.0))
    halves = [served.precision((served.years_past >= k / 2) & (served.years_past < (k + 1) / 2)) for k in range(4)]
    shown = ", ".join(f"{p:.3f} (n {n})" for p, _, _, n in halves)
    print(f"\nauto-route precision by half-year past the window, drift {STRONG_DRIFT:g}: {shown}")
    precision = [p for p, _, _, _ in halves]
    assert all(later <= earlier + 0.02 for earlier, later in itertools.pairwise(precision))
    assert precision[-1] < precision[0] - 0.4


def test_the_prediction_drift_rises_after_the_window(
    model: tuple[SupportModel, float], inside: Served, late: Served
) -> None:
    # The reference, made the way training makes a version's: inputs and top-1 queues of in-window cases.
    reference_cases = _serve(model[0], _plan(34))

    def columns(served: Served) -> drift.DriftColumns:
        inputs = ref.input_columns([summarize_inputs(c) for c in served.data.cases])
        return drift.DriftColumns(inputs, {"top1_queue": ref.encode(served.top1.tolist())})

    reference_columns = columns(reference_cases)
    reference = {"inputs": ref.summarize(reference_columns.inputs), "outputs": ref.summarize(reference_columns.outputs)}

    def scores(served: Served) -> dict[str, drift.DriftScore]:
        result = drift.drift("default", columns(served), np.arange(len(served.data)), reference)
        return {s.name: s for s in result.scores}

    same, later = scores(inside), scores(late)
    worst = max((s for s in later.values() if s.group == "input"), key=lambda s: s.psi or 0.0)
    print(
        f"\nPSI of the top-1 queue: inside the window {same['top1_queue'].psi:.3f} ({same['top1_queue'].level}), "
        f"2-4 years past it at drift {STRONG_DRIFT:g} {later['top1_queue'].psi:.3f} ({later['top1_queue'].level}); "
        f"worst input there {worst.name} {worst.psi:.3f}"
    )
    assert same["top1_queue"].level == "stable"
    assert later["top1_queue"].level == "shift"
