"""The boosted kind: stacked on the linear model, the single-case forest agrees with XGBoost, stored as
XGBoost JSON with checksums, explained by tree SHAP values; and the generator's interaction knob."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest
import xgboost as xgb

from supportability.batch.columns import score
from supportability.data.generator import GeneratorConfig, generate
from supportability.models.boosted import BoostedSupportModel, stacked_feature_names
from supportability.registry import ArtifactError, DataSummary, Registry
from supportability.serving.predictor import Predictor
from supportability.training.boosted import BOOSTED_TASKS, train_boosted
from supportability.training.trainer import TrainConfig
from supportability.v1 import model_service_pb2, prediction_pb2, support_case_pb2

INTERACTING = GeneratorConfig(n_cases=1_500, seed=13, interactions=1.0)


@pytest.fixture(scope="module")
def boosted():
    data = generate(INTERACTING)
    model, splits = train_boosted(data, TrainConfig(seed=13, folds=3))
    return model, data.subset(splits.test)


def test_the_account_context_tasks_are_boosted_and_routing_is_the_linear_models(boosted):
    model, test = boosted
    assert isinstance(model, BoostedSupportModel) and set(model.boosters) == set(BOOSTED_TASKS)
    ours, text = model.predict(test.cases[:50]), model.text.predict(test.cases[:50])
    assert [r.routing for r in ours] == [r.routing for r in text]
    assert [r.decision for r in ours] == [r.decision for r in text]
    assert [r.articles for r in ours] == [r.articles for r in text]
    assert [r.escalation for r in ours] != [r.escalation for r in text]
    assert all(0 < r.escalation < 1 and 0 < r.csat_risk < 1 for r in ours)
    assert all(abs(sum(r.urgency[1].values()) - 1) < 1e-9 and r.resolution_time[0] > 0 for r in ours)


def test_one_case_through_the_forest_predicts_as_a_batch_through_xgboost(boosted):
    model, test = boosted
    cases = test.cases[:40]
    batch = model.predict(cases)
    for case, many in zip(cases, batch, strict=True):
        (one,) = model.predict([case])
        assert one.escalation == pytest.approx(many.escalation, abs=1e-5)
        assert one.csat_risk == pytest.approx(many.csat_risk, abs=1e-5)
        assert one.urgency[0] == many.urgency[0]
        assert one.urgency[1] == pytest.approx(many.urgency[1], abs=1e-5)
        assert one.resolution_time == pytest.approx(many.resolution_time, rel=1e-5)


def test_a_batch_engines_lone_case_scores_as_the_in_process_batch_does(boosted, tmp_path):
    # A file's last chunk (or a Spark partition) may hold one case: it must not take the forest.
    registry = Registry(tmp_path / "registry")
    model = registry.load(
        registry.register(boosted[0], data=DataSummary("synthetic:test", 1_000, "f" * 64), metrics=[])
    )
    test = boosted[1]
    cases = test.cases[:41]
    expected = model.predict(cases)
    chunks = [
        score(model, list(range(first, first + len(part))), part) for first, part in ((1, cases[:40]), (41, cases[40:]))
    ]
    scored = pa.Table.from_batches(chunks)
    for column, value in (("escalation_probability", "escalation"), ("csat_risk_probability", "csat_risk")):
        assert scored.column(column).to_pylist() == pytest.approx([getattr(r, value) for r in expected], abs=1e-9)


def test_the_forest_walks_the_trees_as_xgboost_does(boosted):
    model, test = boosted
    _, (_, _, features) = model.raw_scores(test.cases)
    # The cases' rows and rows beside them, so that some values fall on other sides of the thresholds.
    rows = np.vstack([features, features + np.random.default_rng(0).normal(0, 0.5, features.shape)]).astype(np.float32)
    expected = np.hstack(
        [b.inplace_predict(rows, predict_type="margin").reshape(len(rows), -1) for b in model.boosters.values()]
    )
    ours = np.array([model.forest.margins(row) for row in rows])
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_stored_as_checksummed_xgboost_json_and_loads_to_the_same_predictions(boosted, tmp_path):
    model, test = boosted
    registry = Registry(tmp_path / "registry")
    version = registry.register(model, data=DataSummary("synthetic:test", 1_000, "f" * 64), metrics=[])
    directory = registry.versions_dir / version
    artifacts = registry.manifest(version)["artifacts"]
    for task in BOOSTED_TASKS:
        name = f"booster.{task}.json"
        assert name in artifacts and len(artifacts[name]["sha256"]) == 64
        assert "learner" in json.loads((directory / name).read_text())  # XGBoost's JSON model, not a pickle
    loaded = registry.load(version)
    assert loaded.info.kind == "boosted"
    cases = test.cases[:20]
    assert loaded.predict(cases) == model.predict(cases)
    assert loaded.predict(cases[:1], explain=True) == model.predict(cases[:1], explain=True)

    # Served through the same Predictor as every kind, and listed as a boosted model.
    predictor = Predictor(registry)
    registry.promote(version)
    predictor.reload()
    case = test.cases[0]
    message = support_case_pb2.SupportCase(subject=case.subject, body=case.body, channel=support_case_pb2.CHANNEL_EMAIL)
    served = predictor.predict_case(message, options=prediction_pb2.PredictionOptions(explain=True)).prediction
    assert served.model_version == version and 0 < served.escalation.probability < 1
    assert {e.task for e in served.explanations} >= {prediction_pb2.TASK_ESCALATION, prediction_pb2.TASK_ROUTING}
    listed = predictor.list_models(model_service_pb2.ListModelsRequest()).models
    assert [m.kind for m in listed] == [model_service_pb2.MODEL_KIND_BOOSTED]

    path = directory / "booster.escalation.json"
    path.write_text(path.read_text().replace('"learner"', '"learner" ', 1))
    with pytest.raises(ArtifactError, match="checksum"):
        registry.load(version)


def test_explanations_are_tree_shap_values_of_the_stacked_features(boosted):
    model, test = boosted
    case = test.cases[0]
    (result,) = model.predict([case], explain=True)
    by_task = {task: (target, features) for task, target, features in result.explanations}
    (text_result,) = model.text.predict([case], explain=True)
    assert by_task["routing"] == {t: (g, f) for t, g, f in text_result.explanations}["routing"]
    names = set(stacked_feature_names(model.text))
    for task in BOOSTED_TASKS:
        assert by_task[task][1] and {name for name, _ in by_task[task][1]} <= names
    # SHAP values add up to the margin: the escalation logit before calibration.
    _, (_, _, features) = model.raw_scores([case])
    booster = model.boosters["escalation"]
    contributions = booster.predict(xgb.DMatrix(features), pred_contribs=True)[0]
    margin = booster.inplace_predict(features, predict_type="margin")[0]
    assert contributions.sum() == pytest.approx(margin, abs=1e-4)
    top = max(range(len(contributions) - 1), key=lambda k: abs(contributions[k]))
    assert by_task["escalation"][1][0] == (model.feature_names[top], pytest.approx(float(contributions[top])))


# ---- the generator's interactions knob -------------------------------------------------------------------
def _logit(p: np.ndarray, noise: float) -> np.ndarray:
    q = (p - noise / 2) / (1 - noise)
    return np.log(q / (1 - q))


def test_interactions_change_only_the_account_context_tasks_and_the_truth_stays_exact():
    plain = generate(GeneratorConfig(n_cases=3_000, seed=5))
    mixed = generate(replace(GeneratorConfig(n_cases=3_000, seed=5), interactions=1.0))
    assert "interactions" not in plain.source and "interactions=1.0" in mixed.source
    assert [c.body for c in mixed.cases] == [c.body for c in plain.cases]
    np.testing.assert_array_equal(mixed.truth["routing"], plain.truth["routing"])
    assert (mixed.labels["queue"] == plain.labels["queue"]).all()
    # The escalation logit moves by exactly the documented terms: 1.8 for an enterprise account with
    # at least 2 disputes, 1.4 for an account younger than 90 days with $50k a month or more.
    shift = _logit(mixed.truth["escalation"], 0.03) - _logit(plain.truth["escalation"], 0.03)
    enterprise = np.array([c.support_plan == "enterprise" and c.disputes_30d >= 2 for c in plain.cases])
    new_large = np.array([c.account_age_days < 90 and c.monthly_volume_usd >= 50_000 for c in plain.cases])
    assert enterprise.sum() > 20 and new_large.sum() > 20
    np.testing.assert_allclose(shift, 1.8 * enterprise + 1.4 * new_large, atol=1e-9)
    # Urgency and CSAT move too (by the terms of the generator's docstring).
    assert not np.allclose(mixed.truth["urgency"], plain.truth["urgency"])
    assert not np.allclose(mixed.truth["csat_risk"], plain.truth["csat_risk"])
