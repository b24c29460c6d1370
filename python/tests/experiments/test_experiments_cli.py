"""`supportability experiments ...`: the lifecycle from the command line, its errors (named, with
nothing changed), and `status` and `report` reading the verdict from a real online store (for a
shadow experiment, the shadow against the served version on the same cases)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from supportability.cli import main
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.simulation import simulate_experiment
from supportability.experiments.store import ExperimentStore
from supportability.online.sql_store import SqlStore
from supportability.online.store import (
    LoggedPrediction,
    OutcomeFrame,
    OutcomeValues,
    OutcomeWrite,
    ShadowPrediction,
)
from supportability.registry import Registry
from supportability.v1 import prediction_pb2


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    for version in ("v-old", "v-new"):
        (tmp_path / "versions" / version).mkdir(parents=True)
        (tmp_path / "versions" / version / "manifest.json").write_text(json.dumps({"version": version}))
    return tmp_path


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["experiments", *args], catch_exceptions=False)


def test_the_lifecycle_from_the_command_line(registry: Path) -> None:
    created = _run("create", "ab1", "--arm", "v-old=0.5", "--arm", "v-new=0.5", "--unit", "merchant_id",
                   "--registry", str(registry))  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "created ab experiment ab1 (draft)" in created.output
    assert _run("start", "ab1", "--registry", str(registry)).output == "experiment ab1 is running\n"
    assert "ab1\trunning\tab\tmerchant_id\tv-old=0.5, v-new=0.5" in _run("list", "--registry", str(registry)).output
    assert _run("stop", "ab1", "--registry", str(registry)).output == "experiment ab1 is stopped\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arm", "v-old=0.5", "--arm", "v-new=0.4"], "arm weights sum to 0.9, not 1"),
        (["--arm", "v-old=0.5", "--arm", "v-gone=0.5"], "arm v-gone: no such model version"),
        (["--arm", "v-old=half", "--arm", "v-new=0.5"], "expected VERSION=WEIGHT"),
    ],
)
def test_bad_arms_are_named_and_nothing_is_created(registry: Path, args: list[str], message: str) -> None:
    result = _run("create", "bad", *args, "--unit", "case_id", "--registry", str(registry))
    assert result.exit_code == 1 and message in result.output
    assert ExperimentStore(Registry(registry)).list() == []


def test_a_second_running_experiment_on_the_unit_is_refused(registry: Path) -> None:
    for name in ("first", "second"):
        _run("create", name, "--arm", "v-old=0.5", "--arm", "v-new=0.5", "--unit", "merchant_id",
             "--registry", str(registry))  # fmt: skip
    _run("start", "first", "--registry", str(registry))
    before = (registry / "experiments" / "first.json").read_bytes()
    refused = _run("start", "second", "--registry", str(registry))
    assert refused.exit_code == 1
    assert "experiment first already runs on unit merchant_id" in refused.output
    assert (registry / "experiments" / "first.json").read_bytes() == before


def _logged(frame: OutcomeFrame, i: int, when: datetime) -> LoggedPrediction:
    return LoggedPrediction(
        prediction_id=frame.prediction_id[i],
        case_id=f"case-{i}",
        model_version=frame.arm[i],
        predict_time=when,
        latency_ms=1.0,
        routing=frame.routing[i],
        escalation_probability=float(frame.escalation_probability[i]),
        urgency_level="normal",
        csat_risk_probability=float(frame.csat_risk_probability[i]),
        resolution_p50_hours=None,
        resolution_p90_hours=None,
        decision_action=frame.decision_action[i],
        decision_confidence=float(frame.decision_confidence[i]),
        decision_threshold=0.8,
        inputs={},
        case_text=None,
        prediction=b"",
        experiment=frame.experiment[i],
        arm=frame.arm[i],
        propensity=float(frame.propensity[i]),
        unit_id=frame.unit_id[i],
    )


def _stored(
    frame: OutcomeFrame, tmp_path: Path, shadows: Sequence[ShadowPrediction] = (), pre: OutcomeFrame | None = None
) -> str:
    """A SQLite store holding the frame's predictions (made on 2 November 2026) and outcomes, and
    those of `pre` (made on 25 October, before the experiment); its URL."""
    url = f"sqlite:///{tmp_path}/online.db"
    store = SqlStore(url)
    try:
        for logged, when in ((frame, datetime(2026, 11, 2, tzinfo=UTC)), (pre, datetime(2026, 10, 25, tzinfo=UTC))):
            if logged is None:
                continue
            store.log_predictions([_logged(logged, i, when) for i in range(len(logged))])
            outcomes = [OutcomeValues(resolved_queue=logged.resolved_queue[i]) for i in range(len(logged))]
            writes = [
                OutcomeWrite(logged.prediction_id[i], "", outcomes[i], None, False, "req", b"")
                for i in np.flatnonzero(logged.has_outcome)
            ]
            store.record_outcomes([writes])
        store.log_shadow_predictions(shadows)
    finally:
        store.close()
    return url


def test_status_reads_the_verdict_from_the_store(registry: Path, tmp_path: Path) -> None:
    experiment = new_experiment("ab2", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="merchant_id", mode="ab")
    ExperimentStore(Registry(registry)).create(experiment)
    started = ExperimentStore(Registry(registry)).move("ab2", "start", datetime(2026, 11, 1, tzinfo=UTC))
    frame = simulate_experiment(started, n=6_000, merchants=2_000, lift=0.4, seed=7).frame
    url = _stored(frame, tmp_path)
    result = _run("status", "ab2", "--registry", str(registry), "--store", url)
    assert result.exit_code == 0, result.output
    assert "ab2: running ab experiment on merchant_id, control v-old" in result.output
    assert "sample ratio: ok" in result.output
    assert "CUPED (14 days before the start): v-new - control not adjusted" in result.output  # no pre-period
    assert "verdict: v-new beats the control v-old on routing accuracy by +0." in result.output
    out = tmp_path / "report"
    report = _run("report", "ab2", "--registry", str(registry), "--store", url, "--out", str(out))
    assert report.exit_code == 0, report.output
    page = (out / "report.html").read_text()
    assert "<b>Verdict:</b> v-new beats the control v-old" in page
    assert (out / "differences.png").stat().st_size > 0 and (out / "daily.png").stat().st_size > 0
    document = json.loads((out / "readout.json").read_text())
    assert document["readout"]["sample_ratio"]["flagged"] is False and document["daily"]
    estimates = _run("ope", "ab2", "--candidate", "v-new", "--bootstrap", "50", "--registry", str(registry),
                     "--store", url)  # fmt: skip
    assert estimates.exit_code == 0, estimates.output
    assert [line.split()[0] for line in estimates.output.splitlines()[1:]] == ["ips", "snips", "dr"]
    assert "95% bootstrap interval" in estimates.output
    unknown = _run("ope", "ab2", "--candidate", "v-x", "--registry", str(registry), "--store", url)
    assert unknown.exit_code == 2 and "'v-x' is not an arm of ab2" in unknown.output


def test_status_of_an_unknown_experiment_is_an_error(registry: Path, tmp_path: Path) -> None:
    result = _run("status", "nope", "--registry", str(registry), "--store", f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 1 and "no experiment named 'nope'" in result.output


def test_update_moves_a_bandit_and_refuses_an_ab_test(registry: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/online.db"
    SqlStore(url).close()  # an empty store: no outcomes, so the posterior is the prior
    _run("create", "b1", "--arm", "v-old=0.5", "--arm", "v-new=0.5", "--unit", "case_id", "--mode", "bandit",
         "--registry", str(registry))  # fmt: skip
    _run("start", "b1", "--registry", str(registry))
    result = _run("update", "b1", "--registry", str(registry), "--store", url)
    assert result.exit_code == 0, result.output
    weights = ExperimentStore(Registry(registry)).get("b1").weights
    assert sum(weights.values()) == pytest.approx(1) and min(weights.values()) > 0.4
    _run("create", "ab3", "--arm", "v-old=0.5", "--arm", "v-new=0.5", "--unit", "merchant_id",
         "--registry", str(registry))  # fmt: skip
    refused = _run("update", "ab3", "--registry", str(registry), "--store", url)
    assert refused.exit_code == 1 and "not a bandit" in refused.output


def test_a_shadow_experiments_status_and_report_compare_the_shadow_on_the_same_cases(
    registry: Path, tmp_path: Path
) -> None:
    experiment = new_experiment("sh1", [Arm("v-old", 1.0), Arm("v-new", 0.0)], unit="merchant_id", mode="shadow")
    ExperimentStore(Registry(registry)).create(experiment)
    started = ExperimentStore(Registry(registry)).move("sh1", "start", datetime(2026, 11, 1, tzinfo=UTC))
    frame = simulate_experiment(started, n=4_000, merchants=1_000, seed=5).frame
    shadows, fixed = [], 0
    for i, (routing, queue) in enumerate(zip(frame.routing, frame.resolved_queue, strict=True)):
        answer = routing
        if queue and routing[0][0] != queue and i % 3 == 0:  # the shadow puts a third of the errors right
            answer, fixed = ((queue, 0.9), *(q for q in routing if q[0] != queue)), fixed + 1
        scored = prediction_pb2.CasePrediction(prediction_id=frame.prediction_id[i], model_version="v-new")
        scored.escalation.probability = 0.5
        shadows.append(
            ShadowPrediction(frame.prediction_id[i], "v-new", "sh1", datetime(2026, 11, 2, tzinfo=UTC), 1.0,
                             answer, frame.decision_action[i], scored.SerializeToString())
        )  # fmt: skip
    url = _stored(frame, tmp_path, shadows)
    result = _run("status", "sh1", "--registry", str(registry), "--store", url)
    assert result.exit_code == 0, result.output
    assert f"shadow v-new: scored {len(frame):,} served cases" in result.output
    assert "verdict: shadow v-new beats the served v-old on routing accuracy by +0." in result.output
    labelled = int((frame.resolved_queue != "").sum())
    assert f"by {fixed / labelled:+.4f}" in result.output  # exactly the errors it fixed, on the same cases
    out = tmp_path / "report"
    report = _run("report", "sh1", "--registry", str(registry), "--store", url, "--out", str(out))
    assert report.exit_code == 0, report.output
    page = (out / "report.html").read_text()
    assert "Shadows against the served version" in page and "<b>Verdict:</b> shadow v-new beats" in page
    assert (out / "shadows.png").stat().st_size > 0
    [shadow] = json.loads((out / "readout.json").read_text())["shadows"]
    assert shadow["version"] == "v-new" and shadow["metrics"]["routing_accuracy"]["difference"]["low"] > 0


def test_status_adjusts_a_merchant_experiment_by_the_fortnight_before_it(registry: Path, tmp_path: Path) -> None:
    experiment = new_experiment("ab4", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="merchant_id", mode="ab")
    ExperimentStore(Registry(registry)).create(experiment)
    started = ExperimentStore(Registry(registry)).move("ab4", "start", datetime(2026, 11, 1, tzinfo=UTC))
    frame = simulate_experiment(started, n=4_000, merchants=400, lift=0.3, seed=8).frame
    # The merchants' cases the week before, served outside any experiment: the covariate.
    n = len(frame)
    pre = dataclasses.replace(frame, prediction_id=np.array([f"pre-{i}" for i in range(n)], dtype=object),
                              experiment=np.full(n, "", dtype=object), arm=np.full(n, "", dtype=object))  # fmt: skip
    url = _stored(frame, tmp_path, pre=pre)
    result = _run("status", "ab4", "--registry", str(registry), "--store", url)
    assert result.exit_code == 0, result.output
    assert "CUPED (14 days before the start): v-new - control +0." in result.output
    unadjusted = _run("status", "ab4", "--registry", str(registry), "--store", url, "--pre-days", "0")
    assert "CUPED" not in unadjusted.output
