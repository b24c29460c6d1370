"""On synthetic data the evaluation also scores routing against the latent topic, which label noise
never touches: with noisy labels the model is better than its noisy-label accuracy says."""

from __future__ import annotations

from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.training.trainer import TrainConfig, train


def test_clean_label_accuracy_is_reported_beside_the_noisy_one():
    data = generate(GeneratorConfig(n_cases=2_000, seed=17, label_noise=0.3))
    model, splits = train(data, TrainConfig(seed=17))
    evaluation = evaluate(model, data.subset(splits.test))
    noisy, clean = evaluation.get("routing", "top1_accuracy"), evaluation.get("routing", "clean_top1_accuracy")
    assert noisy is not None and clean is not None
    # About 30% * 11/12 of the test labels are wrong whatever the model says, none of the topics are.
    assert clean > noisy + 0.1
    # Data without the generator's truth gets no clean-label figure.
    plain = data.subset(splits.test)
    plain.truth = {}
    assert evaluate(model, plain).get("routing", "clean_top1_accuracy") is None
