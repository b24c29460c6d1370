"""BANKING77, the real-data benchmark of the routing model: how it is read and split.

train.csv is read through the user-data loader (text -> body, category -> queue), 10% of it held
out to choose calibrators, early stopping and the decision threshold; test.csv is only ever
reported on. `python -m supportability.benchmarks.compare` trains and compares the model kinds on
it. The data stays where it is (default: <repo>/../shared/datasets/banking77); it is never copied
into the repository.

Dataset: Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders" (PolyAI, 2020), CC BY 4.0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from supportability.data.dataset import LabeledCases
from supportability.data.loaders import load_cases
from supportability.training.trainer import Splits, TrainConfig

MAPPING = {"body": "text", "queue": "category"}
DEFAULTS = {"channel": "web_form"}
# The linear model's settings for short real texts: word 1-3-grams and character 2-5-grams, TF-IDF;
# the heads are refitted on all of train.csv once the held-out choices are made (`refit_on_all`).
CONFIG = TrainConfig(
    text_weighting="tfidf",
    word_ngrams=3,
    char_ngrams=(2, 5),
    min_df=2,
    c_multiclass=(20.0,),
    calibration_fraction=0.1,
    target_precision=0.95,
    refit_on_all=True,
)


def default_dataset() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "buf.yaml").exists():
            return parent.parent / "shared" / "datasets" / "banking77"
    return Path("../shared/datasets/banking77")


def load(dataset: Path) -> tuple[LabeledCases, LabeledCases, Splits]:
    """(train.csv, test.csv, splits of train.csv: 90% training, 10% held out)."""
    train_data, _ = load_cases(dataset / "train.csv", columns=MAPPING, defaults=DEFAULTS)
    test_data, _ = load_cases(dataset / "test.csv", columns=MAPPING, defaults=DEFAULTS)
    rng = np.random.default_rng(CONFIG.seed)
    order = rng.permutation(len(train_data))
    n_held = int(len(order) * CONFIG.calibration_fraction)
    splits = Splits(train=np.sort(order[n_held:]), calibration=np.sort(order[:n_held]), test=np.zeros(0, dtype=int))
    return train_data, test_data, splits
