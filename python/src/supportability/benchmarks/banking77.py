"""BANKING77, the real-data benchmark of the routing model: how it is read, trained and split.

train.csv is read through the user-data loader (text -> body, category -> queue) and trained with
exactly what `supportability train --data train.csv --column body=text --column queue=category
--default channel=web_form` uses: `CONFIG` is `data_config`'s defaults and the splits are
`trainer.split`'s (no dataset-specific settings; no test split, so the final model is fitted on
every row of train.csv), so the figure a user gets is the figure the benchmark reports. test.csv
is only ever reported on. `python -m supportability.benchmarks.compare` trains and compares the
model kinds on it; `benchmarks.unseen_intents` holds out whole intents.
The data stays where it is (default: <repo>/../shared/datasets/banking77); it is never copied
into the repository.

Dataset: Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders" (PolyAI, 2020), CC BY 4.0.
"""

from __future__ import annotations

from pathlib import Path

from supportability.data.dataset import LabeledCases
from supportability.data.loaders import load_cases
from supportability.training.trainer import Splits, data_config, split

MAPPING = {"body": "text", "queue": "category"}
DEFAULTS = {"channel": "web_form"}
CONFIG = data_config("tfidf", char_ngrams=True)  # `supportability train --data`'s defaults


def default_dataset() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "buf.yaml").exists():
            return parent.parent / "shared" / "datasets" / "banking77"
    return Path("../shared/datasets/banking77")


def read(dataset: Path) -> tuple[LabeledCases, LabeledCases]:
    """(train.csv, test.csv) as `supportability train --data` reads them."""
    train_data, _ = load_cases(dataset / "train.csv", columns=MAPPING, defaults=DEFAULTS)
    test_data, _ = load_cases(dataset / "test.csv", columns=MAPPING, defaults=DEFAULTS)
    return train_data, test_data


def load(dataset: Path) -> tuple[LabeledCases, LabeledCases, Splits]:
    """(train.csv, test.csv, the splits `train --data` makes of train.csv)."""
    train_data, test_data = read(dataset)
    return train_data, test_data, split(train_data, CONFIG)
