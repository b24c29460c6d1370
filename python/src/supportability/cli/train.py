"""`supportability train` and `supportability evaluate`: fit, calibrate, register; judge and report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from supportability.cli.options import Steps, fail, load_data, print_skipped, registry_option, since_time
from supportability.serving.config import ServerConfig

if TYPE_CHECKING:
    from supportability.models.heads import HeadsModel


@click.command()
@click.option(
    "--data",
    "data_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Training data (.csv, .jsonl, .parquet). Default: generate the default synthetic data.",
)
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping (see `data check`).")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option("--skip-invalid", is_flag=True, help="Skip invalid rows (and report them) instead of failing.")
@click.option(
    "--articles",
    "articles_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Help-centre articles (.csv/.jsonl with article_id, queue, title, text) for article suggestion.",
)
@registry_option
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--cases",
    "n_cases",
    default=30_000,
    show_default=True,
    type=click.IntRange(min=200),
    help="Synthetic cases to generate when --data is not given.",
)
@click.option(
    "--char-ngrams/--no-char-ngrams",
    default=None,
    help="Add character 2-5-grams to the text features (default: on for your data, off for synthetic).",
)
@click.option(
    "--target-precision",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0.5, 1.0),
    help="Precision the auto-route threshold must promise: the lower confidence bound on held-out cases.",
)
@click.option(
    "--confidence-level",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0.5, 0.999),
    help="Confidence level of that one-sided (Clopper-Pearson) bound.",
)
@click.option(
    "--in-scope-coverage",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0.5, 1.0),
    help="Share of held-out in-scope cases the out-of-scope test keeps; the rest go to triage as out of scope.",
)
@click.option(
    "--oos-label",
    default=None,
    metavar="CATEGORY",
    help="The queue label of out-of-scope examples in the data: trained on, never auto-routed.",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(2, 20),
    help="Cross-fitting folds for the held-out choices (linear: each costs one more fit per head).",
)
@click.option(
    "--test-fraction",
    type=click.FloatRange(0.0, 0.5, max_open=True),
    default=None,
    help="Share of the data held out of every fit as an internal test split, which the report is measured on "
    "[--data: 0, the final model is fitted on every row and the report's figures are out-of-fold (each row "
    "scored by a model fitted without its fold); synthetic data and --from-outcomes: 0.15]. Give 0.15 to keep "
    "a test split no choice has seen.",
)
@click.option(
    "--noisy-labels",
    type=click.Choice(["none", "drop", "downweight", "relabel", "auto"]),
    default="none",
    show_default=True,
    help="Linear: rows whose routing/urgency labels confident learning doubts (as `data audit` flags them) "
    "weigh 0 (drop) or their label's probability (downweight), or are fitted on their out-of-fold "
    "probabilities (relabel, experimental: it loses on the synthetic bench today), in the heads' fits, never in "
    "calibration; auto chooses per task among none, drop and downweight on a held-out fold. Recorded in the "
    "manifest. Needs the audit extra.",
)
@click.option("--promote/--no-promote", default=True, show_default=True, help="Promote the new version.")
@click.option(
    "--model",
    "kind",
    type=click.Choice(["linear", "boosted", "teacher", "student"]),
    default="linear",
    show_default=True,
    help="linear: TF-IDF + logistic heads (seconds). boosted: XGBoost for escalation, CSAT, urgency and "
    "resolution time on the account context and the linear model's out-of-fold scores (a minute). "
    "teacher: all-MiniLM-L6-v2 "
    "fine-tuned (minutes; the most accurate). student: a small network distilled from a teacher "
    "(fast to serve). See python/README.md.",
)
@click.option(
    "--teacher",
    "teacher_version",
    default=None,
    metavar="VERSION|none",
    help="Student: the registered model to learn from, usually a teacher (default: the most accurate "
    "version trained on the same data, by its recorded routing top-1; none: labels only).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Teacher/student: most epochs (early stopping may stop sooner) [teacher 4, student 40].",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Boosted: fit the boosters on this machine (xgboost) or on Spark (xgboost.spark; the spark extra).",
)
@click.option("--master", default="local[2]", show_default=True, help="With --engine spark: the Spark master URL.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="With --engine spark: xgboost.spark workers, at most the session's task slots (checked before training).",
)
@click.option("--frozen-encoder", is_flag=True, help="Teacher: train the heads on frozen MiniLM embeddings only.")
@click.option("--hidden", type=click.IntRange(min=2), default=None, help="Student: hidden units [256].")
@click.option(
    "--from-outcomes",
    is_flag=True,
    help="Train on the online store's predictions that have outcomes, labelled by the outcomes, and compare "
    "the new version with the serving one on the held-out (newest) of them. Case text comes from the log "
    "(serve --store-case-text) or else from --cases-file, joined on case_id.",
)
@click.option(
    "--store",
    "store_url",
    default=ServerConfig.store,
    show_default=True,
    help="With --from-outcomes: the online store (a SQLAlchemy URL, as for serve).",
)
@click.option(
    "--since", default=None, metavar="AGE", help="With --from-outcomes: only predictions of the last AGE (30d, 12h)."
)
@click.option(
    "--cases-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="With --from-outcomes: the cases (.csv/.jsonl/.parquet with a case_id column; --column and --default "
    "apply), for predictions whose text the log did not keep.",
)
def train(
    data_path: str | None,
    columns: tuple[str, ...],
    defaults: tuple[str, ...],
    skip_invalid: bool,
    articles_path: str | None,
    registry_path: str,
    seed: int,
    n_cases: int,
    char_ngrams: bool | None,
    target_precision: float,
    confidence_level: float,
    in_scope_coverage: float,
    oos_label: str | None,
    folds: int,
    test_fraction: float | None,
    noisy_labels: str,
    promote: bool,
    kind: str,
    teacher_version: str | None,
    epochs: int | None,
    engine: str,
    master: str,
    workers: int,
    frozen_encoder: bool,
    hidden: int | None,
    from_outcomes: bool,
    store_url: str,
    since: str | None,
    cases_file: str | None,
) -> None:
    """Train a model on every task the data has labels for, calibrate, evaluate, register (and promote).

    A teacher or student run writes a checkpoint after every epoch; run the same command again after
    an interruption and it resumes.
    """
    from supportability.training.pipeline import train_and_register
    from supportability.training.trainer import TrainConfig, data_config

    if engine == "spark" and kind != "boosted":
        fail("--engine spark trains the boosted kind: add --model boosted")
    outcomes, serving_version, serving_text = None, None, {}
    if from_outcomes:
        if data_path:
            fail("--from-outcomes and --data are alternatives: give one")
        outcomes, serving_version, serving_text = _outcome_cases(
            registry_path, store_url, since, cases_file, columns, defaults, skip_invalid
        )
    steps = Steps({"linear": 12, "boosted": 22}.get(kind, 20), f"train {kind}")
    if outcomes is not None:
        steps(f"{len(outcomes.data)} cases from {outcomes.data.source}")
        dataset = outcomes.data
        use_chars = bool(serving_text.get("char_ngrams")) if char_ngrams is None else char_ngrams
    elif data_path is None:
        from supportability.data.generator import GeneratorConfig, generate

        steps(f"generating {n_cases} synthetic cases")
        dataset = generate(GeneratorConfig(n_cases=n_cases, seed=seed))
        use_chars = bool(char_ngrams)
    else:
        steps(f"reading {data_path}")
        dataset, skipped = load_data(data_path, columns, defaults, skip_invalid)
        print_skipped(skipped)
        use_chars = char_ngrams is not False
    if test_fraction is None and data_path is None:
        # Synthetic data: `evaluate` rebuilds the test split; --from-outcomes: the comparison is made on it.
        test_fraction = TrainConfig.test_fraction
    if outcomes is not None and test_fraction == 0:
        fail("--from-outcomes compares the new version with the serving one on a test split: give --test-fraction > 0")
    if oos_label is not None and oos_label not in set(dataset.labels.get("queue", ())):
        fail(f"--oos-label {oos_label}: no case has that queue")
    if noisy_labels != "none" and kind != "linear":
        fail(f"--noisy-labels {noisy_labels} weighs the linear kind's fits: add --model linear, or drop the option")
    if articles_path:
        from supportability.data.loaders import load_articles

        dataset.articles = load_articles(articles_path)
    # Your own texts: TF-IDF; the synthetic data's evidence adds up per mention: counts (see TrainConfig).
    weighting = "counts" if data_path is None else "tfidf"
    if outcomes is not None:  # by default as the serving version was: the comparison is then of data only
        weighting = str(serving_text.get("text_weighting", "tfidf"))
    config = data_config(
        weighting,
        seed=seed,
        char_ngrams=use_chars,
        target_precision=target_precision,
        confidence_level=confidence_level,
        in_scope_coverage=in_scope_coverage,
        oos_label=oos_label,
        folds=folds,
        noisy_labels=noisy_labels,
        **({} if test_fraction is None else {"test_fraction": test_fraction}),
    )
    neural = None
    if kind not in ("linear", "boosted"):
        from supportability.training.neural_config import NeuralConfig

        chosen = {"max_epochs": epochs, "hidden": hidden, "fine_tune": False if frozen_encoder else None}
        neural = NeuralConfig.for_kind(
            kind,
            seed=seed,
            text_weighting=weighting,
            target_precision=target_precision,
            confidence_level=confidence_level,
            in_scope_coverage=in_scope_coverage,
            oos_label=oos_label,
            folds=folds,
            test_fraction=config.test_fraction,
            char_ngrams=config.char_ngrams,
            **{k: v for k, v in chosen.items() if v is not None},
        )
    if kind == "student":
        teacher_version = _teacher_for(registry_path, dataset, teacher_version)
        steps(f"learning from {teacher_version}" if teacher_version else "no model to learn from: labels only")
    session = None
    try:
        booster_fit = None
        if engine == "spark":
            from supportability.batch import spark
            from supportability.training.distributed import SparkFit, TooManyWorkers

            steps(f"starting Spark ({master})")
            session = spark.session(master, "supportability-train")
            try:
                booster_fit = SparkFit(session, workers)
            except TooManyWorkers as e:
                fail(str(e))
        version = train_and_register(
            dataset,
            registry_path,
            config=config,
            promote=promote,
            progress=steps,
            kind=kind,
            neural=neural,
            teacher_version=teacher_version,
            booster_fit=booster_fit,
        )
        steps.done()
    finally:
        steps.close()
        if session is not None:
            session.stop()
    _summary(registry_path, version)
    if outcomes is not None:
        _compare(registry_path, version, serving_version, outcomes, config)


def _outcome_cases(
    registry_path: str,
    store_url: str,
    since: str | None,
    cases_file: str | None,
    columns: tuple[str, ...],
    defaults: tuple[str, ...],
    skip_invalid: bool,
):
    """(the outcome cases, the serving version, its text settings) for --from-outcomes."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from supportability.online.sql_store import SqlStore
    from supportability.online.store import StoreError
    from supportability.online.training_data import MIN_TRAINING_CASES, outcome_cases
    from supportability.registry import Registry, RegistryError

    start = since_time(since)
    try:
        url = make_url(store_url)
    except ArgumentError as e:
        fail(f"--store: {e}")
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        fail(f"no online store at {shown}")  # rather than create an empty one
    try:
        store = SqlStore(store_url)
        try:
            records = store.labelled_predictions(since=start)
        finally:
            store.close()
    except StoreError as e:
        fail(f"{shown}: {e}")
    file_cases = None
    if cases_file:
        file_cases, skipped = load_data(cases_file, columns, defaults, skip_invalid)
        print_skipped(skipped)
    source = f"outcomes:{shown}"
    source += f",since={since}" if since else ""
    try:
        outcomes = outcome_cases(records, cases_file=file_cases, source=source)
    except ValueError as e:
        fail(str(e))
    for line in outcomes.describe():
        click.echo(line, err=True)
    if len(outcomes.data) < MIN_TRAINING_CASES:
        fail(f"only {len(outcomes.data)} outcome cases in {shown}: at least {MIN_TRAINING_CASES} are needed")
    registry = Registry(registry_path)
    serving = registry.promoted_version()
    try:
        settings = registry.manifest(serving).get("training_config", {}) if serving else {}
    except RegistryError:
        settings = {}
    return outcomes, serving, settings


def _compare(registry_path: str, version: str, serving_version: str | None, outcomes, config) -> None:
    """Print the new version against the serving one on the held-out outcome cases; keep it in the
    version's metrics (task "from_outcomes") and in report/from_outcomes.json."""
    import json

    from supportability.online.training_data import compare
    from supportability.registry import Registry, RegistryError
    from supportability.training.trainer import split

    registry = Registry(registry_path)
    held_out = split(outcomes.data, config).test  # the split training held out
    serving = None
    if serving_version is not None:
        try:
            serving = registry.load(serving_version)
        except RegistryError as e:
            click.echo(f"serving version {serving_version} does not load ({e}); compared with the log only", err=True)
    new = registry.load(version)
    comparison = compare(outcomes, held_out, new, serving)
    for line in comparison.lines():
        click.echo(line)
    lost = [task for task in serving.info.tasks if task not in new.info.tasks] if serving else []
    if lost:
        click.echo(f"  the new version lacks tasks the serving one has: {', '.join(lost)}")
    registry.set_metrics(version, registry.info(version).metrics + comparison.metrics())
    report = registry.versions_dir / version / "report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "from_outcomes.json").write_text(
        json.dumps({"serving_version": serving_version, **comparison.to_json()}, indent=2)
    )


def _teacher_for(registry_path: str, dataset, requested: str | None) -> str | None:
    """The version a student learns from: the one asked for, or else the registered version trained
    on the same data (by fingerprint) with the best recorded routing top-1, or None."""
    from supportability.registry import Registry, RegistryError

    registry = Registry(registry_path)
    if requested == "none":
        return None
    if requested:
        try:
            registry.manifest(requested)
        except RegistryError as e:
            fail(str(e))
        return requested
    fingerprint = dataset.fingerprint()
    accuracy = {
        info.version: value
        for info in registry.list()
        if info.data_fingerprint == fingerprint
        for task, name, value, slice_ in info.metrics
        if (task, name, slice_) == ("routing", "top1_accuracy", "")
    }
    return max(accuracy, key=lambda version: accuracy[version], default=None)


@click.command()
@registry_option
@click.option("--version", default=None, help="Version to evaluate (default: the promoted one).")
@click.option(
    "--data",
    "data_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Evaluate on this labelled file instead of regenerating the version's own test split.",
)
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Report directory (default: the version's report/ folder in the registry).",
)
@click.option(
    "--oos-label",
    default=None,
    metavar="CATEGORY",
    help="With --data: cases of this queue are out of scope; reports how the decision treats them.",
)
def evaluate(
    registry_path: str,
    version: str | None,
    data_path: str | None,
    columns: tuple[str, ...],
    defaults: tuple[str, ...],
    out_dir: str | None,
    oos_label: str | None,
) -> None:
    """Evaluate a version and write its HTML report, PNG plots and metrics.json."""
    from supportability.evaluation.evaluate import evaluate as run_evaluation
    from supportability.evaluation.report import write_report
    from supportability.registry import Registry, RegistryError

    registry = Registry(registry_path)
    steps = Steps(4, "evaluate")
    try:
        model = registry.load(version)
    except RegistryError as e:
        steps.close()
        fail(str(e))
    version = model.info.version
    steps(f"loaded {version}")
    if data_path:
        dataset, _ = load_data(data_path, columns, defaults, False)
        test, source = dataset, data_path
        if oos_label is not None and oos_label not in set(test.labels.get("queue", ())):
            steps.close()
            fail(f"--oos-label {oos_label}: no case in {data_path} has that queue")
    elif oos_label is not None:
        steps.close()
        fail("--oos-label needs --data: a file with out-of-scope cases")
    else:
        test, source = _version_test_split(registry, version)
    steps(f"evaluating on {len(test)} cases")
    evaluation = run_evaluation(cast("HeadsModel", model), test, oos_label)  # every registered kind is a HeadsModel
    target = Path(out_dir) if out_dir else registry.versions_dir / version / "report"
    steps("writing the report")
    report = write_report(
        evaluation, target, title=f"Model {version}: evaluation on {len(test)} cases", data_source=source
    )
    if not data_path and out_dir is None:
        registry.set_metrics(version, evaluation.metrics + [m for m in model.info.metrics if m[0] == "training"])
    steps("done")
    steps.close()
    click.echo(f"report: {report}")
    for task, name, value, slice_ in evaluation.metrics:
        if not slice_ and name in _HEADLINE:
            click.echo(f"  {task:16} {name:28} {value:.4f}")


_HEADLINE = {
    "top1_accuracy",
    "bayes_top1_accuracy",
    "clean_top1_accuracy",
    "ece",
    "auroc",
    "bayes_auroc",
    "coverage",
    "precision",
    "mrr",
    "recall_at_3",
    "pinball_p50_hours",
    "p90_coverage",
    "held_out_precision_lower_bound",
    "in_scope_precision",
    "recall_at_95_in_scope_coverage",
    "auto_routed_share",
}


def _version_test_split(registry, version: str):
    """Rebuild a synthetic version's held-out test split from its recorded data source and config."""
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.training.trainer import TrainConfig, split

    manifest = registry.manifest(version)
    source = manifest["data"]["source"]
    if not source.startswith("synthetic:"):
        fail(f"version {version} was trained on {source}; pass --data to evaluate it")
    fields = dict(item.split("=", 1) for item in source[len("synthetic:") :].split(","))
    defaults = GeneratorConfig()
    config = GeneratorConfig(**{k: type(getattr(defaults, k))(v) for k, v in fields.items()})
    dataset = generate(config)
    train_config = manifest.get("training_config", {})
    splits = split(
        dataset,
        TrainConfig(
            **{k: v for k, v in train_config.items() if k in ("seed", "test_fraction", "calibration_fraction", "folds")}
        ),
    )
    if len(splits.test) == 0:
        fail(f"version {version} was fitted on every case of {source} (no test split): pass --data to evaluate it")
    return dataset.subset(splits.test), source


def _summary(registry_path: str, version: str) -> None:
    from supportability.registry import Registry

    info = Registry(registry_path).info(version)
    click.echo(f"version {version}: {info.kind} model ({', '.join(info.tasks)})")
    for task, name, value, slice_ in info.metrics:
        if not slice_ and name in _HEADLINE:
            click.echo(f"  {task:16} {name:28} {value:.4f}")
    estimate = Registry(registry_path).manifest(version).get("decision", {}).get("estimate")
    if estimate and not estimate["promised"]:
        click.echo(
            f"  decision: no threshold can promise precision >= {estimate['target_precision']:.3f} at "
            f"{estimate['confidence_level']:.0%} confidence on {estimate['held_out_cases']} held-out cases: "
            "every case goes to human triage (lower --target-precision, or give more data)"
        )
    elif estimate:
        click.echo(
            f"  decision: threshold {estimate['threshold']:.4f} auto-routes {estimate['auto_routed']} of "
            f"{estimate['held_out_cases']} held-out cases at precision {estimate['precision']:.4f} "
            f"(lower {estimate['confidence_level']:.0%} bound {estimate['precision_lower_bound']:.4f})"
        )
    click.echo(f"report: {Path(registry_path) / 'versions' / version / 'report' / 'report.html'}")
