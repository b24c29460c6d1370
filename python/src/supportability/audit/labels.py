"""Confident learning on out-of-fold probabilities (Northcutt et al., JAIR 2021, via cleanlab).

From the calibrated out-of-fold probabilities p(label | case) and the given labels, cleanlab counts
the confident joint of (given label, likely true class), and prunes as likely mislabelled that many
of the cases least likely to carry their label ("prune_by_noise_rate"). The normalised joint also
gives each class's estimated noise rate (the share of its labels whose true class is another) and
its trace the share of labels that are right: the best top-1 accuracy a model can reach when judged
against these labels. The classes whose joint overlaps most are the pairs the data cannot tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supportability.audit.crossfit import OutOfFold
from supportability.training.noise import flag_label_issues

TOP_CONFUSABLE = 10  # queue pairs listed
EXAMPLES_PER_PAIR = 3


@dataclass(frozen=True)
class ConfusablePair:
    """Two classes the data mixes up: the joint share of cases between them, and example cases."""

    a: str
    b: str
    joint: float  # estimated share of all cases labelled one of the pair but truly the other
    cases: int  # cases so confused (either way)
    examples: tuple[int, ...]  # case positions: labelled a, likely b, or the reverse


@dataclass(frozen=True)
class LabelAudit:
    """What confident learning finds in one label column."""

    task: str
    classes: tuple[str, ...]
    flagged: np.ndarray  # bool per case: likely mislabelled
    suggested: np.ndarray  # class index per case: the most probable other class
    confidence: np.ndarray  # per case: out-of-fold probability that the case is not of its given class
    noise_rates: dict[str, float]  # per given class: estimated share of its labels that are wrong
    label_counts: dict[str, int]
    accuracy_ceiling: float  # estimated share of right labels: best top-1 against these labels
    expected_accuracy: float  # the calibrated model's own mean top-1 probability, for comparison
    confusable: tuple[ConfusablePair, ...]


def confident_learning(task: str, oof: OutOfFold) -> LabelAudit:
    """Flag likely label errors in `oof.labels` and estimate the labels' noise."""
    from cleanlab.count import estimate_joint
    from cleanlab.dataset import find_overlapping_classes

    labels, probs = oof.labels, oof.probabilities
    flagged, confident = flag_label_issues(labels, probs)  # the flags `train --noisy-labels` weighs
    joint = estimate_joint(labels, probs, confident_joint=confident)  # rows: given label, columns: true class
    rows = np.arange(len(labels))
    others = probs.copy()
    others[rows, labels] = -1.0
    suggested = others.argmax(axis=1)
    given_share = joint.sum(axis=1)
    noise_rates = {
        c: float(1 - joint[k, k] / given_share[k]) if given_share[k] > 0 else 0.0 for k, c in enumerate(oof.classes)
    }
    counts = np.bincount(labels, minlength=len(oof.classes))
    pairs = find_overlapping_classes(labels=labels, pred_probs=probs, joint=joint, confident_joint=confident)
    confusable = []
    for _, row in pairs.head(TOP_CONFUSABLE).iterrows():
        a, b = int(row["Class Index A"]), int(row["Class Index B"])
        mixed = flagged & (((labels == a) & (suggested == b)) | ((labels == b) & (suggested == a)))
        order = np.flatnonzero(mixed)[np.argsort(-(1 - probs[mixed, labels[mixed]]), kind="stable")]
        confusable.append(
            ConfusablePair(
                oof.classes[a],
                oof.classes[b],
                float(row["Joint Probability"]),
                int(row["Num Overlapping Examples"]),
                tuple(int(i) for i in order[:EXAMPLES_PER_PAIR]),
            )
        )
    return LabelAudit(
        task=task,
        classes=oof.classes,
        flagged=np.asarray(flagged, dtype=bool),
        suggested=suggested,
        confidence=1 - probs[rows, labels],
        noise_rates=noise_rates,
        label_counts={c: int(counts[k]) for k, c in enumerate(oof.classes)},
        accuracy_ceiling=float(np.trace(joint)),
        expected_accuracy=float(probs.max(axis=1).mean()),
        confusable=tuple(confusable),
    )
