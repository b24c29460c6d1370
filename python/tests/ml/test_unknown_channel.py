"""A case whose channel is not known (the service serves it, serving/validation.py) sets none of the
model's channel inputs, and the model stays calibrated on such cases. python/README.md has the
figures for the default model; this guards the rule on the small one."""

from __future__ import annotations

import dataclasses

import numpy as np

from supportability import metrics
from supportability.data.generator import GeneratorConfig, generate

# ECE on 4,000 cases carries about a point of sampling noise; dropping the channel must not add more.
MAX_ECE_INCREASE = 0.015


def test_calibration_holds_when_the_channel_is_dropped(small_model):
    model, _ = small_model
    fresh = generate(GeneratorConfig(n_cases=4_000, seed=23))
    unknown = [dataclasses.replace(c, channel="") for c in fresh.cases]
    row = model.context.transform(unknown[:1])[0]
    assert not any(row[k] for k, name in enumerate(model.context.names) if name.startswith("channel="))

    known_p = model.probabilities(model.raw_scores(fresh.cases)[0])
    unknown_p = model.probabilities(model.raw_scores(unknown)[0])
    for task, label in (("escalation", "escalated"), ("csat_risk", "csat_negative")):
        y = fresh.labels[label].astype(int)
        known, dropped = metrics.binary_ece(known_p[task], y), metrics.binary_ece(unknown_p[task], y)
        assert dropped <= known + MAX_ECE_INCREASE, (task, known, dropped)
        # The channel's one-hot weights centre on 0, so no channel reads as the average channel.
        assert abs(unknown_p[task].mean() - known_p[task].mean()) < 0.01, task
    labels = list(model.heads["routing"].labels)
    queues = np.array([labels.index(q) for q in fresh.labels["queue"]])
    known, dropped = (
        metrics.multiclass_ece(known_p["routing"], queues),
        metrics.multiclass_ece(unknown_p["routing"], queues),
    )
    assert dropped <= known + MAX_ECE_INCREASE, ("routing", known, dropped)
