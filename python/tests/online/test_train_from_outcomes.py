"""`supportability train --from-outcomes` on a small simulated store: a version is registered from the
outcomes, with its comparison against the serving version printed and kept; without case text it
fails naming how many cases lack it, and a cases file joined on case_id supplies it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from supportability.cli import main
from supportability.client import Client
from supportability.data.io import write_cases
from supportability.online import simulate
from supportability.online.sql_store import SqlStore
from supportability.online.store import LoggedPrediction, OutcomeValues, OutcomeWrite, StoredOutcome
from supportability.online.training_data import MissingCaseText, outcome_cases
from supportability.registry import Registry
from supportability.testing import ServerProcess, logged_prediction

PLAN = simulate.SimulationPlan(cases=400, rate=500.0, seed=21, outcome_delay_seconds=0.01)


@dataclasses.dataclass
class Simulated:
    registry: Path  # a copy: these tests register versions
    store_url: str  # the server kept the case text
    result: simulate.SimulationResult
    directory: Path


@pytest.fixture(scope="module")
def simulated(registry_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    directory = tmp_path_factory.mktemp("from-outcomes")
    registry = directory / "registry"
    shutil.copytree(registry_path, registry, ignore=shutil.ignore_patterns(".checkpoints"))
    url = f"sqlite:///{directory}/online.db"
    with (
        ServerProcess(registry, "--store", url, "--store-case-text") as server,
        Client(server.target, timeout=10) as client,
    ):
        result = simulate.run(client, PLAN)
    assert result.figures()["outcomes_acknowledged"] == PLAN.cases
    yield Simulated(registry, url, result, directory)


def _train(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["train", "--from-outcomes", "--no-promote", *args])
    return result.exit_code, result.output


def test_a_version_is_trained_from_outcomes_and_compared_with_the_serving_one(simulated: Simulated) -> None:
    registry = Registry(simulated.registry)
    serving = registry.promoted_version()
    before = {info.version for info in registry.list()}
    code, output = _train("--store", simulated.store_url, "--registry", str(simulated.registry), "--since", "1d")
    assert code == 0, output
    print(output)
    (version,) = {info.version for info in registry.list()} - before
    assert registry.promoted_version() == serving  # --no-promote
    info = registry.info(version)
    assert info.data_source.startswith("outcomes:sqlite:///") and info.data_case_count > 0
    assert f"case text: {PLAN.cases} from the prediction log, 0 from the cases file" in output
    assert "comparison on the 60 held-out (newest) of 400 outcome cases" in output
    for name in ("new", "served", "serving offline"):
        assert f"routing top-1 {name} " in output
    comparison = {(n, s): v for t, n, v, s in info.metrics if t == "from_outcomes"}
    assert comparison[("held_out_cases", "")] == 60
    assert 0 < comparison[("top1_accuracy", "new")] <= 1 and 0 < comparison[("top1_accuracy", "served")] <= 1
    saved = json.loads((simulated.registry / "versions" / version / "report" / "from_outcomes.json").read_text())
    assert saved["serving_version"] == serving
    assert [row["name"] for row in saved["routing_top1"]] == ["new", "served", "serving offline"]


def test_without_case_text_it_fails_clearly_and_a_cases_file_supplies_it(simulated: Simulated) -> None:
    # The same predictions and outcomes in a store whose server kept no case text.
    url = f"sqlite:///{simulated.directory}/no-text.db"
    source = SqlStore(simulated.store_url)
    records = source.labelled_predictions()
    source.close()
    target = SqlStore(url)
    target.log_predictions([dataclasses.replace(p, case_text=None) for p, _ in records])
    now = datetime.now(UTC)
    target.record_outcomes([[OutcomeWrite(p.prediction_id, "", o.values, now, False, "r", b"")] for p, o in records])
    target.close()
    registry = str(simulated.registry)

    code, output = _train("--store", url, "--registry", registry)
    assert code != 0
    assert f"{PLAN.cases} labelled predictions have no case text" in output
    assert "--store-case-text" in output and "--cases-file" in output

    cases = write_cases(simulated.result.data, simulated.directory / "cases.jsonl")
    code, output = _train("--store", url, "--registry", registry, "--cases-file", str(cases))
    assert code == 0, output
    assert f"case text: 0 from the prediction log, {PLAN.cases} from the cases file" in output
    assert "routing top-1 new " in output

    code, output = _train("--store", f"sqlite:///{simulated.directory}/absent.db", "--registry", registry)
    assert code != 0 and "no online store at" in output
    assert not (simulated.directory / "absent.db").exists()
    code, output = _train("--store", url, "--registry", registry, "--since", "soon")
    assert code != 0 and "--since: 'soon' is neither an age (7d, 12h) nor an ISO date" in output


def _record(n: int, case_id: str, text: str | None, **values: object) -> tuple[LoggedPrediction, StoredOutcome]:
    now = datetime.now(UTC)
    prediction_id = f"01900000-0000-7000-8000-{n:012d}"
    prediction = logged_prediction(
        n,
        case_id=case_id,
        predict_time=now,
        latency_ms=1.0,
        routing=(("payouts", 0.7), ("refunds", 0.2)),
        escalation_probability=0.1,
        urgency_level="normal",
        csat_risk_probability=0.1,
        resolution_p50_hours=3.0,
        resolution_p90_hours=9.0,
        decision_action="human_triage",
        decision_confidence=0.7,
        decision_threshold=0.9,
        inputs={"channel": "chat", "language": "de", "support_plan": "premium", "disputes_30d": 2},
        case_text=text,
    )
    outcome = StoredOutcome(prediction_id, case_id, "v1", OutcomeValues(**values), None, False, now, now)
    return prediction, outcome


def test_labels_come_from_the_outcomes_and_partial_labels_leave_their_task_out() -> None:
    records = [
        _record(1, "a", "Payout late\nStill nothing", resolved_queue="refunds", escalated=True, csat_score=1),
        _record(2, "a", "Payout late\nStill nothing", resolved_queue="payouts", escalated=False, csat_rating="good"),
        _record(3, "b", "Card\nDeclined twice", resolved_queue="disputes", escalated=True),
        _record(4, "c", "Hello", escalated=True),  # no resolved queue: not used
        _record(5, "d", "New product\nWho handles it?", resolved_queue="brand_new_queue", escalated=False,
                helpful_article_ids=("art-1",)),
    ]  # fmt: skip
    built = outcome_cases(records)
    assert len(built.data) == 3 and built.repeated == 1 and built.without_queue == 1
    assert list(built.data.labels["queue"]) == ["payouts", "disputes", "brand_new_queue"]  # the latest of case a
    assert list(built.data.labels["escalated"]) == [0, 1, 0]
    assert "csat_negative" not in built.data.labels and built.left_out == {"csat_risk": pytest.approx(1 / 3)}
    assert list(built.data.labels["article_ids"]) == [(), (), ("art-1",)]
    first = built.data.cases[0]
    assert (first.subject, first.body, first.channel, first.language, first.support_plan, first.disputes_30d) == (
        "Payout late",
        "Still nothing",
        "chat",
        "de",
        "premium",
        2,
    )
    assert list(built.served_queue) == ["payouts"] * 3
    assert any("csat_risk: label recorded for 33%" in line for line in built.describe())

    with pytest.raises(MissingCaseText, match="1 labelled predictions have no case text"):
        outcome_cases([*records, _record(6, "e", None, resolved_queue="payouts")])


def test_the_store_returns_the_labelled_predictions_with_their_text(store_url: str) -> None:
    store = SqlStore(store_url)
    try:
        records = [_record(n, f"case-{n}", f"subject {n}\nbody {n}", resolved_queue="payouts") for n in range(3)]
        store.log_predictions([p for p, _ in records])
        writes = [
            [OutcomeWrite(p.prediction_id, "", o.values, None, False, f"r{n}", b"")] for n, (p, o) in enumerate(records)
        ]
        store.record_outcomes(writes[::2])  # predictions 0 and 2 get an outcome
        got = store.labelled_predictions()
        assert [(p.case_id, p.case_text, o.values.resolved_queue) for p, o in got] == [
            ("case-0", "subject 0\nbody 0", "payouts"),
            ("case-2", "subject 2\nbody 2", "payouts"),
        ]
        assert store.labelled_predictions(since=datetime.now(UTC)) == []
    finally:
        store.close()
