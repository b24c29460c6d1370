"""Settings of the neural model kinds (training/neural.py), importable without PyTorch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supportability.training.trainer import TrainConfig


@dataclass(frozen=True)
class NeuralConfig:
    """Settings of a neural training run. The defaults are the teacher's and student's full runs;
    tests pass tiny ones (few epochs, a small hidden layer, a frozen encoder)."""

    seed: int = 7
    max_epochs: int = 4
    patience: int = 1  # epochs without held-out improvement before stopping
    batch_size: int = 32
    learning_rate: float = 8e-5  # teacher: the encoder's (its heads: 20x); student: Adam's
    weight_decay: float = 0.01
    fine_tune: bool = True  # teacher: train the encoder too (False: frozen embeddings, heads only)
    companion: bool = True  # teacher: a linear model's second opinion on routing, weighted on held-out cases
    hidden: int = 256  # student: hidden units
    dropout: float = 0.3
    distill_weight: float = 0.5  # student: share of the loss that matches the teacher's soft targets
    distill_temperature: float = 2.0
    text_weighting: str = "tfidf"  # student and the teacher's companion: text features as TrainConfig's
    word_ngrams: int = 3
    char_ngrams: tuple[int, int] | None = (2, 5)
    min_df: int = 2
    target_precision: float = 0.95
    confidence_level: float = 0.95  # as TrainConfig's decision settings
    in_scope_coverage: float = 0.95
    scope_score: str = "energy"  # the teacher's, chosen on validation data (models/scope.py); the student's below
    oos_label: str | None = None
    test_fraction: float = 0.15
    calibration_fraction: float = 0.15
    folds: int = 5  # of the split (neural kinds hold out fold 0 only)

    def split_config(self) -> TrainConfig:
        return TrainConfig(
            seed=self.seed,
            test_fraction=self.test_fraction,
            calibration_fraction=self.calibration_fraction,
            folds=self.folds,
        )

    def linear_config(self) -> TrainConfig:
        """The teacher's companion: a linear model with these text settings and splits."""
        return TrainConfig(
            seed=self.seed,
            text_weighting=self.text_weighting,
            word_ngrams=self.word_ngrams,
            char_ngrams=self.char_ngrams,
            min_df=self.min_df,
            target_precision=self.target_precision,
            confidence_level=self.confidence_level,
            # The companion's own out-of-scope test is never served: its score stays TrainConfig's
            # logit score, which a linear model can compute (the embedding scores need an embedding).
            in_scope_coverage=self.in_scope_coverage,
            oos_label=self.oos_label,
            test_fraction=self.test_fraction,
            calibration_fraction=self.calibration_fraction,
        )

    @classmethod
    def for_kind(cls, kind: str, **overrides: Any) -> NeuralConfig:
        """The full run's settings of `kind` ("teacher" or "student"), with `overrides`."""
        return cls(**{**(STUDENT_SETTINGS if kind == "student" else {}), **overrides})


# The student is small and cheap per epoch: more epochs, larger batches, a larger learning rate. Its
# out-of-scope score was chosen on validation data (models/scope.py).
STUDENT_SETTINGS = {
    "max_epochs": 40,
    "patience": 3,
    "batch_size": 64,
    "learning_rate": 2e-3,
    "scope_score": "nearest_neighbour",
}
