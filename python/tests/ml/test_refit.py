"""TrainConfig.refit_on_all (splits without folds): held-out choices are kept, the weights are
refitted on the held-out cases too. Cross-fitting always ends with that refit."""

from __future__ import annotations

import dataclasses

import numpy as np

from supportability.training.trainer import TrainConfig, train


def test_refit_keeps_held_out_choices_and_learns_the_held_out_cases(small_data, small_model):
    _, cross_fitted = small_model
    splits = dataclasses.replace(cross_fitted, folds=None)  # one held-out fold: the path refit_on_all is for
    model, _ = train(small_data, TrainConfig(seed=11), splits=splits)
    refitted, _ = train(small_data, dataclasses.replace(TrainConfig(seed=11), refit_on_all=True), splits=splits)

    assert refitted.decision_threshold == model.decision_threshold
    assert refitted.articles.routing_weight == model.articles.routing_weight
    for task, head in model.heads.items():
        assert refitted.heads[task].calibrator == head.calibrator
    assert not np.allclose(refitted.w_text, model.w_text)
    assert splits.fitted_count(TrainConfig(refit_on_all=True)) == len(splits.train) + len(splits.calibration)
    assert splits.fitted_count(TrainConfig()) == len(splits.train)
    assert cross_fitted.fitted_count(TrainConfig()) == len(splits.train) + len(splits.calibration)

    # The held-out cases are now training cases: the refitted routing head fits them better.
    held_out = small_data.subset(splits.calibration)
    truth = held_out.labels["queue"]

    def held_out_accuracy(m) -> float:
        return float(np.mean([p.routing[0][0] == q for p, q in zip(m.predict(held_out.cases), truth, strict=True)]))

    assert held_out_accuracy(refitted) > held_out_accuracy(model)
