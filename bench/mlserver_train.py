"""Trains the routing pipeline MLServer serves. Runs under MLServer's venv, so the scikit-learn that
pickles the model is the one that loads it.

    python bench/mlserver_train.py cases.json MODEL_DIR   # cases.json: {"texts": [...], "queues": [...]}

Writes MODEL_DIR/model.joblib and prints {"train_cases": n, "holdout_accuracy": a} as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

HOLDOUT_SHARE = 0.2


def train(texts: list[str], queues: list[str]) -> tuple[Pipeline, int, float]:
    # Plain texts in: MLServer decodes a BYTES input whose content type is "str" into a list of
    # str, and its sklearn runtime passes that list straight to predict_proba.
    labels = np.asarray(queues)
    split = int(len(texts) * (1 - HOLDOUT_SHARE))
    pipeline = Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
        ("classifier", LogisticRegression(C=10.0, max_iter=1000)),
    ])
    pipeline.fit(texts[:split], labels[:split])
    accuracy = float((pipeline.predict(texts[split:]) == labels[split:]).mean())
    return pipeline, split, accuracy


def main() -> None:
    data = json.loads(Path(sys.argv[1]).read_text())
    model_dir = Path(sys.argv[2])
    pipeline, train_cases, accuracy = train(data["texts"], data["queues"])
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, model_dir / "model.joblib")
    print(json.dumps({"train_cases": train_cases, "holdout_accuracy": accuracy}))


if __name__ == "__main__":
    main()
