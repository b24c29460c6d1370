"""BANKING77 with unseen intents: whole intents held out of training, scored as out of scope.

    python -m supportability.benchmarks.unseen_intents [--kinds linear,student,teacher]
        [--unseen 20] [--seed 7] [--dataset DIR] [--out FILE]

`--unseen` of the 77 intents, chosen by `--seed`, are removed from train.csv; each kind is trained
on the rest with `train --data`'s defaults (banking77.CONFIG, trainer.split) and so knows nothing
of them. On test.csv their cases are labelled out of scope and the rest keep their intents, and
`evaluate(..., oos_label=OUT_OF_SCOPE)` reports out-of-scope recall at 95% in-scope coverage, the
AUROC of in-scope against out-of-scope, in-scope top-1 and the decision's precision with the
out-of-scope score the model was trained with, and the first two for the other scores
(models/scope.py; a distance score fitted on the model's training cases, for the kinds with an
embedding).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from supportability.benchmarks import banking77, write_results
from supportability.data.dataset import LabeledCases
from supportability.evaluation.evaluate import evaluate
from supportability.models.heads import HeadsModel
from supportability.models.scope import EMBEDDING_SCORES, SCORES, OutOfScope
from supportability.training.trainer import fit_out_of_scope, train

OUT_OF_SCOPE = "out_of_scope"
FIGURES = (
    ("routing", "top1_accuracy"),
    ("routing", "ece"),
    ("out_of_scope", "recall_at_95_in_scope_coverage"),
    ("out_of_scope", "auroc"),
    ("out_of_scope", "recall"),
    ("out_of_scope", "in_scope_coverage"),
    ("out_of_scope", "auto_routed_share"),
    ("decision", "coverage"),
    ("decision", "precision"),
    ("decision", "in_scope_precision"),
    ("decision", "held_out_precision_lower_bound"),
)


def unseen_intents(data: LabeledCases, count: int, seed: int) -> list[str]:
    intents = sorted(set(data.labels["queue"]))
    return sorted(np.random.default_rng(seed).choice(intents, size=count, replace=False).tolist())


def relabel(data: LabeledCases, unseen: set[str]) -> LabeledCases:
    """`data` with the queue of every unseen intent's case replaced by OUT_OF_SCOPE."""
    queues = np.array([OUT_OF_SCOPE if q in unseen else q for q in data.labels["queue"]], dtype=object)
    return dataclasses.replace(data, labels={**data.labels, "queue": queues})


def fit(kind: str, data: LabeledCases, say) -> tuple[HeadsModel, LabeledCases]:
    """The model and the cases its weights were fitted on (what an embedding score is fitted on)."""
    if kind == "linear":
        return train(data, banking77.CONFIG, progress=say)[0], data
    from supportability.training import neural
    from supportability.training.neural_config import NeuralConfig

    config = NeuralConfig.for_kind(kind, test_fraction=banking77.CONFIG.test_fraction)  # as `train --data` passes it
    checkpoints = Path("var/registry/.checkpoints")
    if kind == "teacher":
        teacher, splits, _ = neural.train_teacher(data, config, checkpoint_root=checkpoints, progress=say)
        return teacher, data.subset(splits.train)
    student, splits, _ = neural.train_student(data, config, teacher=None, checkpoint_root=checkpoints, progress=say)
    return student, data.subset(splits.train)


def run(kinds: tuple[str, ...], count: int, seed: int, dataset: Path) -> dict:
    train_data, test_data = banking77.read(dataset)
    unseen = set(unseen_intents(train_data, count, seed))
    seen = train_data.subset(np.flatnonzero([q not in unseen for q in train_data.labels["queue"]]))
    test = relabel(test_data, unseen)
    say = lambda message: print(f"[unseen intents] {message}", file=sys.stderr, flush=True)  # noqa: E731
    results: dict = {"unseen": sorted(unseen), "kinds": {}}
    for kind in kinds:
        started = time.monotonic()
        model, fitted_on = fit(kind, seen, say)
        seconds = time.monotonic() - started
        assert model.out_of_scope is not None
        trained_with = model.out_of_scope
        evaluation = evaluate(model, test, oos_label=OUT_OF_SCOPE)
        by_score = {trained_with.score: {f"{t}.{n}": evaluation.get(t, n) for t, n in FIGURES}}
        for score in (s for s in SCORES if s != trained_with.score):
            if score in EMBEDDING_SCORES and not model.has_scope_embedding:
                continue
            # Another score's threshold would need the out-of-fold scores again: only the figures
            # that set their own threshold on test.csv (the 95% in-scope quantile) are compared.
            other = OutOfScope(score, -np.inf, trained_with.in_scope_coverage, trained_with.label)
            model.out_of_scope = fit_out_of_scope(model, fitted_on, other)
            evaluation = evaluate(model, test, oos_label=OUT_OF_SCOPE)
            by_score[score] = {f"{t}.{n}": evaluation.get(t, n) for t, n in FIGURES[2:4]}
        model.out_of_scope = trained_with
        results["kinds"][kind] = {"train_seconds": round(seconds, 1), "scores": by_score}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default="linear", help="model kinds (default: %(default)s)")
    parser.add_argument("--unseen", type=int, default=20, help="intents held out of training (default: 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dataset", type=Path, default=banking77.default_dataset(), help="BANKING77 folder")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    if not (args.dataset / "train.csv").is_file():
        print(f"BANKING77 not found at {args.dataset}; skipping", file=sys.stderr)
        return 0
    results = run(tuple(args.kinds.split(",")), args.unseen, args.seed, args.dataset)
    for kind, r in results["kinds"].items():
        for score, figures in r["scores"].items():
            cells = " ".join(f"{k.split('.')[1]}={v:.4f}" for k, v in figures.items() if v is not None)
            print(f"{kind:8} {score:16} {cells}")
    write_results(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
