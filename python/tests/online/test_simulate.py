"""`supportability simulate` against a real server: every acknowledged outcome is stored, online
routing top-1 on the simulated traffic matches the offline top-1 of the same model on the same cases
within sampling error, and the generator's drift knob shows in what is served."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import chi2_contingency

from supportability.cli import main
from supportability.client import Client
from supportability.online import simulate
from supportability.online.sql_store import SqlStore
from supportability.online.store import OutcomeFrame
from supportability.registry import Registry
from supportability.serving.convert import case_from_proto
from supportability.testing import ServerProcess

Z99 = 2.5758293035489004
PLAN = simulate.SimulationPlan(cases=400, rate=400.0, seed=11, drift=0.0, outcome_delay_seconds=0.02, outcome_share=0.8)
DRIFTED_SEED, DRIFTED_CASES, STRONG_DRIFT = 12, 300, 8.0


@dataclasses.dataclass
class Run:
    result: simulate.SimulationResult
    drifted_output: str
    frame: OutcomeFrame  # both runs
    between: datetime  # after the first run's predictions, before the drifted run's
    store: SqlStore


@pytest.fixture(scope="module")
def run(registry_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One server: the plan through the Python API, then a strongly drifted run through the CLI."""
    url = f"sqlite:///{tmp_path_factory.mktemp('simulate')}/online.db"
    with ServerProcess(registry_path, "--store", url) as server:
        with Client(server.target, timeout=10) as client:
            result = simulate.run(client, PLAN)
        between = datetime.now(UTC)
        cli = CliRunner().invoke(
            main,
            [
                *("simulate", "--target", server.target, "--rate", "400", "--cases", str(DRIFTED_CASES)),
                *("--seed", str(DRIFTED_SEED), "--drift", str(STRONG_DRIFT), "--outcome-delay-seconds", "0.01"),
            ],
        )
    assert cli.exit_code == 0, cli.output
    # The server has stopped, so its writer has flushed every logged prediction.
    store = SqlStore(url)
    try:
        yield Run(result, cli.output, store.frame(), between, store)
    finally:
        store.close()


def _served_top(frame: OutcomeFrame, rows: np.ndarray | None = None) -> np.ndarray:
    index = range(len(frame)) if rows is None else np.flatnonzero(rows)
    return np.array([frame.routing[i][0][0] for i in index], dtype=object)


def test_every_acknowledged_outcome_is_stored(run: Run) -> None:
    result, frame = run.result, run.frame
    figures = result.figures()
    assert figures["predictions_acknowledged"] == PLAN.cases and figures["prediction_errors"] == 0
    assert figures["outcome_errors"] == 0 and figures["outcomes_not_sent"] == 0
    acknowledged = {c.prediction_id: c.true_queue for c in result.cases if c.outcome_acknowledged}
    assert abs(len(acknowledged) - PLAN.outcome_share * PLAN.cases) < 4 * math.sqrt(PLAN.cases * 0.2 * 0.8)
    stored = dict(zip(frame.prediction_id[frame.has_outcome], frame.resolved_queue[frame.has_outcome], strict=True))
    assert set(acknowledged) <= set(stored)
    assert all(stored[pid] == queue for pid, queue in acknowledged.items())
    ours = {c.prediction_id for c in result.cases}
    assert {pid for pid in stored if pid in ours} == set(acknowledged)  # and nothing unacknowledged


def test_online_top1_matches_offline_top1_on_the_same_cases(run: Run, registry_path: Path) -> None:
    result, frame = run.result, run.frame
    ours = np.isin(frame.prediction_id, [c.prediction_id for c in result.cases])
    labelled = ours & frame.has_outcome
    online = float(np.mean(_served_top(frame, labelled) == frame.resolved_queue[labelled]))

    # Offline: the same model in-process, on every simulated case as the server received it.
    model = Registry(registry_path).load(result.cases[0].model_version)
    cases = [case_from_proto(simulate.support_case(c)) for c in result.data.cases]
    offline_top = np.array([r.routing[0][0] for r in model.predict(cases, top_k=1)], dtype=object)
    truth = result.data.labels["queue"]
    offline = float(np.mean(offline_top == truth))

    # The online sample is a random share of the same cases: a binomial 99% interval bounds the gap.
    n = int(labelled.sum())
    half_width = Z99 * math.sqrt(offline * (1 - offline) / n)
    registered = next(v for t, name, v, s in model.info.metrics if (t, name, s) == ("routing", "top1_accuracy", ""))
    print(
        f"\nrouting top-1: online {online:.4f} on {n} outcomes, offline {offline:.4f} on {len(cases)} cases "
        f"(99% interval of the online figure {offline - half_width:.4f}..{offline + half_width:.4f}); "
        f"the version's registered held-out top-1 {registered:.4f}"
    )
    assert abs(online - offline) <= half_width
    # Stronger than the interval: case by case, what was served is what the model predicts offline.
    served_by_case = {c.prediction_id: c for c in result.cases}
    stored_top = dict(zip(frame.prediction_id[ours], _served_top(frame, ours), strict=True))
    agree = [stored_top[c.prediction_id] == top for c, top in zip(result.cases, offline_top, strict=True)]
    assert all(agree), f"{agree.count(False)} cases served otherwise than predicted offline"
    assert all(stored_top[pid] == c.served_queue for pid, c in served_by_case.items())


def test_a_strong_drift_shows_in_the_served_topic_mix(run: Run) -> None:
    from supportability.evaluation import reference as ref
    from supportability.online import drift

    assert f"acknowledged {DRIFTED_CASES}" in run.drifted_output
    base, live = run.store.frame(until=run.between), run.store.frame(since=run.between)
    assert len(base) == PLAN.cases and len(live) == DRIFTED_CASES
    before, after = Counter(_served_top(base)), Counter(_served_top(live))
    queues = sorted(set(before) | set(after))
    table = np.array([[before[q] for q in queues], [after[q] for q in queues]])
    p_value = chi2_contingency(table)[1]
    shares = table / table.sum(axis=1, keepdims=True)
    total_variation = 0.5 * float(np.abs(shares[0] - shares[1]).sum())
    drift_queues = [queues.index(q) for q in ("connected_accounts", "tax_forms") if q in queues]

    # The drift panel's measure (online/drift.py), with the drift-free run as the reference, made
    # the way training makes a version's reference.
    reference_columns = drift.drift_columns(base)
    reference = {"inputs": ref.summarize(reference_columns.inputs), "outputs": ref.summarize(reference_columns.outputs)}
    scores = {
        s.name: s for s in drift.drift("simulated", drift.drift_columns(live), np.arange(len(live)), reference).scores
    }
    worst_input = max((s for s in scores.values() if s.group == "input"), key=lambda s: s.psi or 0.0)
    print(
        f"\nserved top-queue mix, drift 0 vs {STRONG_DRIFT:g}: total variation {total_variation:.3f}, "
        f"chi-square p {p_value:.1e}; connected_accounts + tax_forms {shares[0, drift_queues].sum():.3f} -> "
        f"{shares[1, drift_queues].sum():.3f}; PSI top1_queue {scores['top1_queue'].psi:.3f} "
        f"({scores['top1_queue'].level}), worst input {worst_input.name} {worst_input.psi:.3f}"
    )
    assert p_value < 1e-6 and total_variation > 0.15
    assert shares[1, drift_queues].sum() > shares[0, drift_queues].sum() + 0.1
    assert scores["top1_queue"].level == "shift"


def test_the_command_line_defaults_are_the_plans() -> None:
    command = main.commands["simulate"]
    defaults = {p.name: p.default for p in command.params}
    plan = simulate.SimulationPlan()
    names = {"n_cases": "cases", "max_seconds": "max_seconds"}
    for option in ("n_cases", "rate", "seed", "drift", "outcome_delay_seconds", "outcome_share", "workers"):
        assert defaults[option] == getattr(plan, names.get(option, option)), option


def test_outcome_delays_are_bounded_and_the_run_stops_by_itself() -> None:
    plan = simulate.SimulationPlan(cases=10, rate=1000.0, outcome_delay_seconds=0.5, max_seconds=0.5)
    assert plan.deadline_seconds == 0.5
    assert (
        simulate.SimulationPlan(cases=100, rate=10.0, outcome_delay_seconds=1.0).deadline_seconds
        == 2 * (10.0 + simulate.MAX_DELAY_FACTOR) + simulate.DRAIN_SECONDS
    )
    # No server on this port: every prediction fails fast, and the run still ends, with the errors counted.
    with Client("127.0.0.1:9", timeout=0.2, retries=False) as client:
        result = simulate.run(client, plan)
    figures = result.figures()
    assert figures["predictions_acknowledged"] == 0 and figures["prediction_errors"] + figures["not_sent"] == 10
    assert "predict: " in result.summary()
