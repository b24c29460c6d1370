"""Training: split, featurise, fit one linear head per task, calibrate on held-out scores, and
choose the auto-route threshold and the out-of-scope threshold.

Splits (`split`): when every case has a create_time, the newest `test_fraction` of the cases is
the test set, so evaluation sees the drift a deployed model would, and the rest is cut into
`folds` blocks of time (fold 0 the newest, `calibration_fraction` of the cases). Without times,
near-duplicate cases are grouped first (training/folds.py) and the test set and folds are random
shares of the groups, so that no paraphrase of a held-out case trains the model that scores it.

With `test_fraction` 0 (`train --data`'s default, `data_config`) there is no test set: the final
model is fitted on every case, and its held-out figures are the out-of-fold scores below.

Held-out choices: the regularisation (C, ridge alpha) is chosen on fold 0 with the heads fitted on
the other folds. Then every fold's cases get scores from heads fitted on the other folds
(cross-fitting), and the calibrators, the article routing weight, the decision threshold and the
out-of-scope threshold are chosen on those out-of-fold scores of every non-test case, which is
5x the held-out data of one fold. Finally each head is refitted on all non-test cases with those
choices. Given splits without folds (the teacher's companion), the choices are made on the
calibration cases alone, and `refit_on_all` refits the heads on training + calibration cases.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from supportability.data.dataset import LabeledCases
from supportability.domain import URGENCY_LEVELS
from supportability.features.context import ContextEncoder
from supportability.features.text import TextFeaturizer
from supportability.metrics import ranking_metrics
from supportability.models.calibration import Temperature, choose_binary, choose_multiclass
from supportability.models.heads import Z90, Articles, Head, HeadsModel, case_text
from supportability.models.linear import LinearSupportModel
from supportability.models.scope import OutOfScope
from supportability.training.crossfit import best_logistic, class_columns, out_of_fold, refit
from supportability.training.decision import DecisionSettings, ThresholdChoice, choose_threshold, scope_threshold
from supportability.training.folds import assign_folds, near_duplicate_groups
from supportability.training.soft_labels import SoftLabels

ROUTING_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # candidates for the article score's routing term
CLASS_LABELS = {"routing": "queue", "urgency": "urgency"}  # task -> label column, per kind of head
BINARY_LABELS = {"escalation": "escalated", "csat_risk": "csat_negative"}


# Inverse L2 strengths tried per logistic head, by text weighting; the best held-out log loss wins.
C_GRIDS = {
    ("counts", "multiclass"): (0.01, 0.03),
    ("counts", "binary"): (0.003, 0.01, 0.03),
    ("tfidf", "multiclass"): (2.0, 8.0),
    ("tfidf", "binary"): (0.3, 1.0),
}
ALPHA_GRID = (3.0, 30.0)  # L2 strengths of the resolution-time regressions
# The manifest's and the report's word for how a model without a test split was judged.
NO_TEST_SPLIT = (
    "none: the final model is fitted on every case; its held-out figures are out-of-fold, each case scored "
    "by a model fitted without its fold, the scores the calibrators and thresholds were chosen on"
)


@dataclass(frozen=True)
class TrainConfig:
    """How to train. `text_weighting`:
    - "counts": raw n-gram counts, no idf, no length normalisation. Best when evidence adds up per
      mention, as in the synthetic data (its true logits are linear in phrase counts).
    - "tfidf": sublinear TF-IDF scaled to unit length per block; best for short real texts (BANKING77).
    """

    seed: int = 7
    text_weighting: str = "counts"
    word_ngrams: int = 2
    char_ngrams: tuple[int, int] | None = None
    min_df: int = 2
    c_multiclass: tuple[float, ...] | None = None  # None: C_GRIDS
    c_binary: tuple[float, ...] | None = None
    target_precision: float = 0.95  # of auto-routed cases, as a lower confidence bound on held-out data
    confidence_level: float = 0.95  # of that one-sided bound (decision.py)
    in_scope_coverage: float = 0.95  # share of held-out in-scope cases the out-of-scope test keeps (scope.py)
    scope_score: str = "max_probability"  # the out-of-scope score (models/scope.py SCORES)
    oos_label: str | None = None  # the routing label of out-of-scope training examples, if the data has them
    test_fraction: float = 0.15  # the synthetic data's; 0: no test split (`train --data`, `data_config`)
    calibration_fraction: float = 0.15  # fold 0: chooses the regularisation (and, for neural kinds, everything)
    folds: int = 5  # cross-fitting folds of the non-test cases, fold 0 included
    max_iter: int = 500
    # Rows whose labels confident learning doubts, in the fits of the class heads' weights only:
    # none, drop, downweight, or auto (chosen on the held-out fold's accuracy); training/noise.py.
    noisy_labels: str = "none"
    # Without folds (given splits): refit the heads on training + calibration cases after the
    # held-out choices. On the synthetic data it lifted routing top-1 by 0.2 points but pushed the
    # urgency ECE past 0.02 (0.019 -> 0.029), the calibrator chosen on one held-out fold no longer
    # matching the refitted weights; cross-fitted calibrators are chosen on scores of heads fitted
    # on 4/5 of the data, much closer to the final ones.
    refit_on_all: bool = False


@dataclass
class Splits:
    train: np.ndarray
    calibration: np.ndarray
    test: np.ndarray
    folds: list[np.ndarray] | None = None  # cross-fitting folds of train + calibration; folds[0] is calibration
    method: dict = field(default_factory=dict)  # how the split was made, for the manifest

    def fitted_count(self, config: TrainConfig) -> int:
        """How many cases the heads' weights were finally fitted on."""
        everything = self.folds is not None or config.refit_on_all
        return len(self.train) + (len(self.calibration) if everything else 0)


@dataclass
class HeldOutScores:
    """Raw scores of cases from heads that did not train on them: every non-test case's out-of-fold
    scores when cross-fitting (else the calibration cases'), what the held-out choices were made on,
    and what a stacked model (models/boosted.py) learns from."""

    rows: np.ndarray  # rows of the data
    scores: np.ndarray  # (rows, score columns); the article columns are the final model's


Progress = Callable[[str], None]


class TextSettings(Protocol):
    """What `fit_features` reads: TrainConfig and neural_config.NeuralConfig both have it."""

    # Read-only properties, so that the frozen dataclasses match.
    @property
    def text_weighting(self) -> str: ...
    @property
    def word_ngrams(self) -> int: ...
    @property
    def char_ngrams(self) -> tuple[int, int] | None: ...
    @property
    def min_df(self) -> int: ...


def split(data: LabeledCases, config: TrainConfig) -> Splits:
    """Test set, then `config.folds` folds (see the module docstring)."""
    n = len(data)
    stamps = [c.create_time.timestamp() for c in data.cases if c.create_time is not None]
    n_test = round(n * config.test_fraction)
    n_calibration = round(n * config.calibration_fraction)
    n_folds = max(config.folds, 2)
    rest = n - n_test - n_calibration
    sizes = [n_test, n_calibration] + [rest // (n_folds - 1) + (k < rest % (n_folds - 1)) for k in range(n_folds - 1)]
    if len(stamps) == n and n > 0:
        # Blocks of time, newest first. Near-duplicates of older cases stay wherever they fall: new
        # traffic has them too, so a time split measures what a deployed model meets.
        newest_first = np.argsort(-np.array(stamps), kind="stable")
        parts = [np.sort(part) for part in np.split(newest_first, np.cumsum(sizes)[:-1])]
        method = {"held_out": f"{n_folds}-fold cross-fitting, folds in blocks of create_time"}
        method["test"] = "the newest cases by create_time"
    else:
        grouping = near_duplicate_groups([case_text(c) for c in data.cases], config.seed)
        parts = assign_folds(grouping.groups, sizes, config.seed)
        method = {"held_out": f"{n_folds}-fold cross-fitting, near-duplicates in one fold", **grouping.describe()}
        method["test"] = "a random share of the near-duplicate groups"
    test, folds = parts[0], parts[1:]
    if len(test) == 0:
        method["test"] = NO_TEST_SPLIT
    return Splits(train=np.sort(np.concatenate(folds[1:])), calibration=folds[0], test=test, folds=folds, method=method)


def data_config(text_weighting: str, *, char_ngrams: bool, test_fraction: float = 0.0, **settings: Any) -> TrainConfig:
    """The settings `supportability train` uses (and the benchmarks, through the same call): the
    synthetic data's word counts, or for the user's own texts TF-IDF of word 1-2-grams plus,
    unless turned off, character 2-5-grams within words.

    No internal test split unless `test_fraction` is given: every row of the user's file is in a
    fold, the final model is fitted on all of them, and the held-out figures are the out-of-fold
    scores the choices were made on (NO_TEST_SPLIT). BANKING77 (linear, test.csv): 91.04% top-1 with
    15% of train.csv held out as a test split, 91.88% fitted on all of it."""
    return TrainConfig(
        text_weighting=text_weighting,
        char_ngrams=(2, 5) if char_ngrams else None,
        test_fraction=test_fraction,
        **settings,
    )


# Rows of the feature matrix, their labels and sample weights (None: all 1), as a class head's fit takes them.
LearntFrom = tuple[np.ndarray, np.ndarray, np.ndarray | None]
# One head's fit with its held-out choices made: rows of the feature matrix -> (weights, bias).
Fit = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def train(
    data: LabeledCases,
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    splits: Splits | None = None,
    weights: Mapping[str, np.ndarray] | None = None,
    soft_labels: Mapping[str, SoftLabels] | None = None,
) -> tuple[LinearSupportModel, Splits]:
    """Fit every task the data has labels for. Returns the model (without `info`) and the splits used.
    `weights`: per class task (routing, urgency), a sample weight per row of `data` for the fits of
    the heads' weights only; the held-out choices (regularisation, calibrators, thresholds) count
    every held-out case once (training/noise.py). `soft_labels`: per class task, rows whose label the
    same fits replace by a distribution over the classes (training/soft_labels.py)."""
    model, splits, _ = train_scored(data, config, progress, splits, weights, soft_labels)
    return model, splits


def train_scored(
    data: LabeledCases,
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    splits: Splits | None = None,
    weights: Mapping[str, np.ndarray] | None = None,
    soft_labels: Mapping[str, SoftLabels] | None = None,
) -> tuple[LinearSupportModel, Splits, HeldOutScores]:
    """`train`, and the held-out scores its choices were made on."""
    weights = weights or {}
    soft_labels = soft_labels or {}
    if (set(weights) | set(soft_labels)) - set(CLASS_LABELS):
        others = sorted((set(weights) | set(soft_labels)) - set(CLASS_LABELS))
        raise ValueError(f"sample weights or soft labels for {others}: only class tasks take them")
    step = progress or (lambda _msg: None)
    splits = splits or split(data, config)
    cross_fit = splits.folds is not None and len(splits.folds) > 1
    rows_of_data = np.concatenate([splits.train, splits.calibration])  # the pool's rows: training, then held out
    pool = data.subset(rows_of_data)
    fitting, held = np.arange(len(splits.train)), np.arange(len(splits.train), len(rows_of_data))
    everything = np.arange(len(rows_of_data))

    step("featurising text")
    # Cross-fitting refits on every non-test case, so the vocabulary is theirs (its idf has seen the
    # held-out fold: a mild optimism the weights, fitted without it, do not share).
    featurizer, context = fit_features(pool if cross_fit else data.subset(splits.train), config)
    text = featurizer.transform([case_text(c) for c in pool.cases])
    x = sp.hstack([text, sp.csr_matrix(context.transform(pool.cases))], format="csr")
    x_fit, x_held = x[fitting], x[held]

    columns: list[np.ndarray] = []  # (features + 1) x outputs blocks: weights with the bias as last row
    fits: list[Fit] = []
    heads: dict[str, Head] = {}
    n_out = 0

    def add_head(task: str, weights: np.ndarray, bias: np.ndarray, labels: tuple[str, ...], fit: Fit) -> None:
        nonlocal n_out
        columns.append(np.vstack([weights, bias[None, :]]))
        fits.append(fit)
        heads[task] = Head(task, n_out, n_out + weights.shape[1], labels)
        n_out += weights.shape[1]

    for task, label_key in CLASS_LABELS.items():
        if label_key not in data.labels:
            continue
        step(f"training {task}")
        classes = tuple(URGENCY_LEVELS) if task == "urgency" else tuple(sorted(set(pool.labels[label_key][fitting])))
        y = _encode(pool.labels[label_key], classes)
        grid = config.c_multiclass or C_GRIDS[(config.text_weighting, "multiclass")]
        known_held = held[y[held] >= 0]
        sample = weights[task][rows_of_data] if task in weights else None
        weight = np.ones(len(y)) if sample is None else sample
        soft = soft_labels[task].encoded(rows_of_data, classes) if task in soft_labels else None

        # The defaults bind this iteration's values; the fits run later.
        def learnt_from(rows: np.ndarray, y=y, sample=sample, weight=weight, soft=soft) -> LearntFrom:
            """(rows of x, labels, sample weights) a fit on `rows` learns from: soft rows once per class."""
            known = rows[y[rows] >= 0]
            return (known, y[known], _rows(sample, known)) if soft is None else soft.expand(known, y, weight)

        fit_rows, fit_labels, fit_weights = learnt_from(fitting)
        clf = best_logistic(config.max_iter, grid, x[fit_rows], fit_labels, x[known_held], y[known_held], fit_weights)

        def fit_classes(rows: np.ndarray, clf=clf, n=len(classes), weight=weight, learnt_from=learnt_from):  # noqa: B008
            scale = weight[fitting].sum() / weight[rows].sum()
            rows_of_x, labels, sample_weight = learnt_from(rows)
            return class_columns(refit(clf, x[rows_of_x], labels, scale, sample_weight), n)

        add_head(task, *class_columns(clf, len(classes)), classes, fit_classes)

    for task, label_key in BINARY_LABELS.items():
        if label_key not in data.labels:
            continue
        step(f"training {task}")
        grid = config.c_binary or C_GRIDS[(config.text_weighting, "binary")]
        y = pool.labels[label_key].astype(int)
        clf = best_logistic(config.max_iter, grid, x_fit, y[fitting], x_held, y[held])

        def fit_binary(rows: np.ndarray, clf=clf, y=y) -> tuple[np.ndarray, np.ndarray]:
            refitted = refit(clf, x[rows], y[rows], len(fitting) / len(rows))
            return refitted.coef_.T.copy(), refitted.intercept_.copy()

        add_head(task, clf.coef_.T.copy(), clf.intercept_.copy(), ("negative", "positive"), fit_binary)

    if "resolution_hours" in data.labels:
        step("training resolution_time")
        log_hours = np.log(np.maximum(pool.labels["resolution_hours"].astype(float), 1e-3))

        def ridge(target: np.ndarray, held_target: np.ndarray) -> Ridge:
            ridges = [Ridge(alpha=alpha, solver="lsqr").fit(x_fit, target) for alpha in ALPHA_GRID]
            return min(ridges, key=lambda r: float(np.mean((r.predict(x_held) - held_target) ** 2)))

        mean_model = ridge(log_hours[fitting], log_hours[held])
        # The spread model predicts sigma from |residual|: E|N(0, s)| = s * sqrt(2 / pi).
        spread_model = ridge(
            np.abs(log_hours[fitting] - mean_model.predict(x_fit)) * np.sqrt(np.pi / 2),
            np.abs(log_hours[held] - mean_model.predict(x_held)) * np.sqrt(np.pi / 2),
        )

        def fit_resolution(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            scale = len(rows) / len(fitting)  # the same penalty per case as the alpha chosen (see `_refit`)
            mean = Ridge(alpha=mean_model.alpha * scale, solver="lsqr").fit(x[rows], log_hours[rows])
            residual = np.abs(log_hours[rows] - mean.predict(x[rows])) * np.sqrt(np.pi / 2)
            spread = Ridge(alpha=spread_model.alpha * scale, solver="lsqr").fit(x[rows], residual)
            return np.stack([mean.coef_, spread.coef_], axis=1), np.array([mean.intercept_, spread.intercept_])

        add_head(
            "resolution_time",
            np.stack([mean_model.coef_, spread_model.coef_], axis=1),
            np.array([mean_model.intercept_, spread_model.intercept_]),
            ("p50_hours", "p90_hours"),
            fit_resolution,
        )

    def fitted_on(rows: np.ndarray) -> np.ndarray:
        """Every head's weights (bias as last row), fitted on these rows of `x`."""
        return np.hstack([np.vstack([w, b[None, :]]) for w, b in (fit(rows) for fit in fits)])

    n_text = featurizer.n_features
    stacked = np.hstack(columns) if columns else np.zeros((n_text + len(context.names) + 1, 0))
    scores = None  # the held-out scores the choices below are made on (None: the model's own on `chosen_on`)
    chosen_on = data.subset(splits.calibration)
    if cross_fit and fits:
        assert splits.folds is not None
        step(f"cross-fitting {len(splits.folds)} folds")
        position = np.empty(len(data), dtype=np.int64)
        position[rows_of_data] = everything
        # Fold 0 (the held rows) is scored by the heads fitted above, without it.
        cross_fitted = out_of_fold(x, [position[fold] for fold in splits.folds], fitted_on, first=stacked)
        step("fitting the heads on every non-test case")
        stacked = fitted_on(everything)
        chosen_on = pool
    model = LinearSupportModel(
        featurizer=featurizer,
        context=context,
        w_text=stacked[:n_text],
        w_context=stacked[n_text:-1],
        bias=stacked[-1],
        heads=heads,
    )
    if data.articles and "article_ids" in data.labels:
        vectors = article_tfidf(featurizer, data)
        model.w_text = np.hstack([model.w_text, vectors])
        model.w_context = np.hstack([model.w_context, np.zeros((model.w_context.shape[0], vectors.shape[1]))])
        model.bias = np.concatenate([model.bias, np.zeros(vectors.shape[1])])
    if chosen_on is pool:
        scores, _ = model.raw_scores(pool.cases)  # the article columns: no weights were fitted for them
        scores[:, :n_out] = cross_fitted

    step("calibrating on held-out cases")
    calibrate(model, chosen_on, config.seed, scores)
    if data.articles and "article_ids" in data.labels:
        step("indexing articles")
        # One routing weight: the calibration fold's cases are plenty, and ranking all is slow.
        index_articles(model, data, data.subset(splits.calibration), start=n_out, scores=_rows(scores, held))
    choose_decision(model, chosen_on, config, scores, method=splits.method)
    held_out = HeldOutScores(
        rows_of_data if chosen_on is pool else splits.calibration,
        scores if scores is not None else model.raw_scores(chosen_on.cases)[0],
    )

    if not cross_fit and config.refit_on_all and fits:
        # Last, so that every held-out choice above was made on scores the held-out cases did not train.
        step("refitting the heads on training + calibration cases")
        refitted = fitted_on(everything)
        model.w_text[:, :n_out] = refitted[:n_text]
        model.w_context[:, :n_out] = refitted[n_text:-1]
        model.bias[:n_out] = refitted[-1]
    return model, splits, held_out


def fit_features(train_set: LabeledCases, config: TextSettings) -> tuple[TextFeaturizer, ContextEncoder]:
    """The text featurizer (`config.text_weighting`, n-grams, min_df) and the context encoder, fitted
    on the training cases."""
    tfidf = config.text_weighting == "tfidf"
    featurizer = TextFeaturizer(
        word_ngrams=config.word_ngrams,
        char_ngrams=config.char_ngrams,
        min_df=config.min_df,
        normalize=tfidf,
        sublinear_tf=tfidf,
        use_idf=tfidf,
    )
    featurizer.fit(case_text(c) for c in train_set.cases)
    return featurizer, ContextEncoder().fit(train_set.cases)


def calibrate(
    model: HeadsModel,
    held_out: LabeledCases,
    seed: int,
    scores: np.ndarray | None = None,
    tasks: Collection[str] | None = None,
) -> None:
    """Choose every head's calibrator on the raw scores of held-out cases (which trained no weights):
    temperature (+ floor) for classes, Platt or isotonic for binary tasks, and a spread scale that
    makes the p90 of the resolution time cover 90% of held-out cases. `scores`: the held-out cases'
    raw scores when already computed; `tasks`: only these heads (default: all)."""
    if scores is None:
        scores, _ = model.raw_scores(held_out.cases)
    for task, head in model.heads.items():
        if tasks is not None and task not in tasks:
            continue
        s = scores[:, head.start : head.stop]
        if task == "resolution_time":
            log_hours = np.log(np.maximum(held_out.labels["resolution_hours"].astype(float), 1e-3))
            z = (log_hours - s[:, 0]) / np.maximum(s[:, 1], 0.05)
            head.calibrator = Temperature(float(max(np.quantile(z, 0.9) / Z90, 0.05)), "coverage")
        elif task in BINARY_LABELS:
            head.calibrator, _ = choose_binary(s[:, 0], held_out.labels[BINARY_LABELS[task]].astype(int), seed)
        else:
            y = _encode(held_out.labels[CLASS_LABELS[task]], head.labels)
            head.calibrator, _ = choose_multiclass(s[y >= 0], y[y >= 0], seed)


def article_tfidf(featurizer: TextFeaturizer, data: LabeledCases) -> np.ndarray:
    """(text features, articles): each article's text vector, unit length."""
    vectors = featurizer.transform([a.text for a in data.articles]).toarray().T
    return vectors / np.maximum(np.linalg.norm(vectors, axis=0), 1e-12)


def index_articles(
    model: HeadsModel, data: LabeledCases, held_out: LabeledCases, start: int, scores: np.ndarray | None = None
) -> None:
    """Declare the article columns (from `start`, already produced by the model's raw scores) and
    tune the routing term of the article score on held-out MRR."""
    labels = model.heads["routing"].labels if "routing" in model.heads else ()
    queue_index = np.array([labels.index(a.queue) if a.queue in labels else -1 for a in data.articles])
    model.articles = Articles(
        start,
        start + len(data.articles),
        tuple(a.article_id for a in data.articles),
        tuple(a.title for a in data.articles),
        queue_index,
        0.0,
    )
    if scores is None:
        scores, _ = model.raw_scores(held_out.cases)
    routing = model.probabilities(scores).get("routing")
    best = (-1.0, 0.0)
    for weight in ROUTING_WEIGHTS if labels else (0.0,):
        model.articles.routing_weight = weight
        _, mrr = ranking_metrics(model.ranked_article_ids(scores, routing), list(held_out.labels["article_ids"]), 10)
        best = max(best, (mrr, weight))
    model.articles.routing_weight = best[1]


def fit_out_of_scope(model: HeadsModel, training: LabeledCases, scope: OutOfScope) -> OutOfScope:
    """`scope`, an embedding score fitted on the model's embeddings of its training cases (never on
    the held-out ones its threshold is set on); a logit score needs nothing."""
    if scope.needs_embedding and "routing" in model.heads:
        _, state = model.raw_scores(training.cases)
        labels = model.heads["routing"].labels
        scope.fit(model.scope_embedding(state), _encode(training.labels["queue"], labels), labels)
    return scope


def choose_decision(
    model: HeadsModel,
    held_out: LabeledCases,
    settings: DecisionSettings,
    scores: np.ndarray | None = None,
    method: dict | None = None,
    scope: OutOfScope | None = None,
    state: Any = None,
) -> ThresholdChoice | None:
    """The out-of-scope test and then the auto-route threshold (training/decision.py), from the raw
    scores of held-out cases; `method` says how those were made, for the manifest. The threshold is
    chosen for the decision as served: a case the out-of-scope test flags is never auto-routed.
    `scope`: the test to calibrate (`fit_out_of_scope`; default the settings' logit score), and
    `state` what `raw_scores` returned beside `scores` (an embedding score reads it)."""
    if "routing" not in model.heads:
        return None
    scope = scope or OutOfScope(settings.scope_score, 0.0, settings.in_scope_coverage, settings.oos_label)
    if scores is None or (scope.needs_embedding and state is None):
        scores, state = model.raw_scores(held_out.cases)
    head = model.heads["routing"]
    routing = model.probabilities(scores)["routing"]
    queues = held_out.labels["queue"]
    y = _encode(queues, head.labels)
    assert isinstance(head.calibrator, Temperature)  # a class head's, set by `calibrate`
    embedding = model.scope_embedding(state) if scope.needs_embedding else None
    in_scope_score = scope.scores(scores[:, head.start : head.stop], routing, head.calibrator.t, head.labels, embedding)
    in_scope = (y >= 0) & (queues != settings.oos_label)
    model.out_of_scope = None
    if in_scope.any():
        scope.threshold = scope_threshold(in_scope_score[in_scope], settings.in_scope_coverage)
        model.out_of_scope = scope
    top = routing.argmax(axis=1)
    flagged = np.array([scope.is_out(v, head.labels[k]) for v, k in zip(in_scope_score, top, strict=True)])
    confidence = np.where(flagged if model.out_of_scope else False, 0.0, routing.max(axis=1))
    choice = choose_threshold(confidence, top == y, settings.target_precision, settings.confidence_level)
    model.decision_threshold = choice.threshold
    model.decision_target_precision = settings.target_precision
    model.decision_estimate = {**choice.state(), "held_out": method or {"held_out": "the calibration cases"}}
    return choice


def _rows(scores: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if scores is None else scores[rows]


def _encode(values: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    index = {c: k for k, c in enumerate(classes)}
    return np.array([index.get(v, -1) for v in values], dtype=int)


warnings.filterwarnings("ignore", category=ConvergenceWarning, module="sklearn")
