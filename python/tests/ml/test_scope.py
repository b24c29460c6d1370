"""Out-of-scope detection on synthetic data: queues held out of training are found without a single
out-of-scope training example, and near-duplicates never straddle two folds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.training.folds import assign_folds, near_duplicate_groups
from supportability.training.trainer import TrainConfig, split, train

UNSEEN = "unseen"


@pytest.fixture(scope="module")
def unseen_queues():
    data = generate(GeneratorConfig(n_cases=4_000, seed=11))
    unseen = set(sorted(set(data.labels["queue"]))[:3])
    config = TrainConfig(seed=11)
    splits = split(data, config)
    seen = np.array([q not in unseen for q in data.labels["queue"]])
    model, _ = train(data.subset(np.flatnonzero(seen)), config)
    test = data.subset(splits.test)
    queues = np.array([UNSEEN if q in unseen else q for q in test.labels["queue"]], dtype=object)
    return model, dataclasses.replace(test, labels={**test.labels, "queue": queues})


def test_the_out_of_scope_score_separates_queues_the_model_never_saw(unseen_queues):
    model, test = unseen_queues
    evaluation = evaluate(model, test, oos_label=UNSEEN)
    assert evaluation.get("out_of_scope", "auroc") > 0.75
    # Calibrated on held-out in-scope cases: about the asked 95% of new in-scope cases stay in scope.
    assert abs(evaluation.get("out_of_scope", "in_scope_coverage") - 0.95) < 0.05
    assert evaluation.get("out_of_scope", "recall") > 2 * (1 - evaluation.get("out_of_scope", "in_scope_coverage"))


def test_out_of_scope_cases_go_to_triage_with_that_reason(unseen_queues):
    model, test = unseen_queues
    results = model.predict(test.cases)
    unseen = test.labels["queue"] == UNSEEN
    reasons = np.array([r.decision_reason or "" for r in results])
    assert np.mean(reasons[unseen] == "out_of_scope") > 2 * np.mean(reasons[~unseen] == "out_of_scope")
    assert all(r.decision[0] == "human_triage" for r in results if r.decision_reason == "out_of_scope")
    single = [model.predict([case])[0].decision_reason for case in test.cases[:50]]  # the one-case path
    assert single == [r.decision_reason for r in results[:50]]


def test_paraphrases_stay_in_one_fold():
    rng = np.random.default_rng(0)
    words = [f"w{k}" for k in range(2_000)]
    bases = [" ".join(rng.choice(words, size=20)) for _ in range(200)]
    texts, base_of = [], []
    for b, base in enumerate(bases):
        for _ in range(4):  # four paraphrases: one word of twenty changed
            tokens = base.split()
            tokens[rng.integers(20)] = str(rng.choice(words))
            texts.append(" ".join(tokens))
            base_of.append(b)
    base_of = np.array(base_of)
    groups = near_duplicate_groups(texts).groups
    folds = assign_folds(groups, [160] * 5, seed=1)
    fold_of = np.empty(len(texts), dtype=int)
    for k, fold in enumerate(folds):
        fold_of[fold] = k
    assert all(len(set(fold_of[base_of == b])) == 1 for b in range(len(bases)))
    assert len(set(groups)) >= 0.95 * len(bases)  # unrelated texts are not merged
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 8
