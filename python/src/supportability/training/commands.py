"""The training pipeline's commands: `data generate`, `train`, `evaluate`, `models list|show|promote|rollback`.

The top-level CLI mounts these (cli.add_command). Heavy imports happen inside the commands so
`supportability --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

DEFAULT_REGISTRY = "var/registry"
DEFAULT_DATA = "var/data/cases.jsonl"
registry_option = click.option("--registry", "registry_path", default=DEFAULT_REGISTRY, show_default=True,
                               type=click.Path(file_okay=False), help="Model registry directory.")


class _Steps:
    """A tqdm bar that advances one step per pipeline stage and shows the stage's name."""

    def __init__(self, total: int, description: str):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=description, unit="step", file=sys.stderr,
                        bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:24}| {elapsed} {postfix}")

    def __call__(self, message: str) -> None:
        self.bar.set_postfix_str(message)
        if self.bar.n < self.bar.total:
            self.bar.update(1)

    def done(self) -> None:
        """Fill the bar: some runs take fewer steps than planned (early stopping)."""
        self.bar.update(self.bar.total - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _fail(message: str) -> None:
    raise click.ClickException(message)


# ---- data ---------------------------------------------------------------------------------------
@click.group()
def data() -> None:
    """Generate synthetic support cases or check your own data files."""


@data.command("generate")
@click.option("--out", "out_path", default=DEFAULT_DATA, show_default=True, type=click.Path(dir_okay=False),
              help="Output file; the format follows the extension: .csv, .jsonl or .parquet.")
@click.option("--cases", "n_cases", default=30_000, show_default=True, type=click.IntRange(min=10))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--imbalance", default=0.8, show_default=True, type=click.FloatRange(min=0),
              help="Zipf exponent of the queue prior (0 = balanced queues).")
@click.option("--label-noise", default=0.03, show_default=True, type=click.FloatRange(0, 1),
              help="Share of labels drawn uniformly at random.")
@click.option("--ambiguity", default=0.12, show_default=True, type=click.FloatRange(0, 1),
              help="Share of cases whose only topic phrase is shared by several queues.")
@click.option("--multi-topic", default=0.10, show_default=True, type=click.FloatRange(0, 1),
              help="Share of cases that also mention a second queue.")
@click.option("--vague", default=0.05, show_default=True, type=click.FloatRange(0, 0.5),
              help="Share of short messages with no topic information.")
@click.option("--typo-rate", default=0.02, show_default=True, type=click.FloatRange(0, 1),
              help="Per-word probability of a typo.")
@click.option("--drift", default=1.0, show_default=True, type=float, help="Strength of topic drift over time.")
def generate_command(out_path: str, n_cases: int, seed: int, **knobs: float) -> None:
    """Generate labelled synthetic cases, with their true label probabilities (columns true_*)."""
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.data.io import write_cases

    config = GeneratorConfig(n_cases=n_cases, seed=seed, **knobs)
    steps = _Steps(2, "data generate")
    steps("generating")
    dataset = generate(config)
    steps(f"writing {out_path}")
    write_cases(dataset, out_path)
    steps.close()
    click.echo(f"wrote {len(dataset)} cases to {out_path} (fingerprint {dataset.fingerprint()[:12]})")


@data.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD from the file's COLUMN, e.g. --column body=text --column queue=category.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
              help="Value for a FIELD the file does not have, e.g. --default channel=web_form.")
@click.option("--skip-invalid", is_flag=True, help="Skip invalid rows (and report them) instead of failing.")
def check_command(path: str, columns: tuple[str, ...], defaults: tuple[str, ...], skip_invalid: bool) -> None:
    """Validate a CSV, JSONL or Parquet file of cases; print what a training run would read."""
    dataset, skipped = _load(path, columns, defaults, skip_invalid)
    click.echo(f"{path}: {len(dataset)} valid cases; labels: {', '.join(sorted(dataset.labels)) or 'none'}")
    _print_skipped(skipped)


# ---- train / evaluate ---------------------------------------------------------------------------
@click.command()
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Training data (.csv, .jsonl, .parquet). Default: generate the default synthetic data.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping (see `data check`).")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option("--skip-invalid", is_flag=True, help="Skip invalid rows (and report them) instead of failing.")
@click.option("--articles", "articles_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Help-centre articles (.csv/.jsonl with article_id, queue, title, text) for article suggestion.")
@registry_option
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--cases", "n_cases", default=30_000, show_default=True, type=click.IntRange(min=200),
              help="Synthetic cases to generate when --data is not given.")
@click.option("--char-ngrams/--no-char-ngrams", default=None,
              help="Add character 2-5-grams to the text features (default: on for your data, off for synthetic).")
@click.option("--target-precision", default=0.95, show_default=True, type=click.FloatRange(0.5, 1.0),
              help="Precision the auto-route threshold must reach on held-out cases.")
@click.option("--promote/--no-promote", default=True, show_default=True, help="Promote the new version.")
@click.option("--model", "kind", type=click.Choice(["linear", "teacher", "student"]), default="linear",
              show_default=True, help="linear: TF-IDF + logistic heads (seconds). teacher: all-MiniLM-L6-v2 "
              "fine-tuned (minutes; the most accurate). student: a small network distilled from a teacher "
              "(fast to serve). See python/README.md.")
@click.option("--teacher", "teacher_version", default=None, metavar="VERSION|none",
              help="Student: the registered model to learn from, usually a teacher (default: the most accurate "
              "version trained on the same data, by its recorded routing top-1; none: labels only).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Teacher/student: most epochs (early stopping may stop sooner) [teacher 4, student 40].")
@click.option("--frozen-encoder", is_flag=True, help="Teacher: train the heads on frozen MiniLM embeddings only.")
@click.option("--hidden", type=click.IntRange(min=2), default=None, help="Student: hidden units [256].")
def train(data_path: str | None, columns: tuple[str, ...], defaults: tuple[str, ...], skip_invalid: bool,
          articles_path: str | None, registry_path: str, seed: int, n_cases: int, char_ngrams: bool | None,
          target_precision: float, promote: bool, kind: str, teacher_version: str | None, epochs: int | None,
          frozen_encoder: bool, hidden: int | None) -> None:
    """Train a model on every task the data has labels for, calibrate, evaluate, register (and promote).

    A teacher or student run writes a checkpoint after every epoch; run the same command again after
    an interruption and it resumes.
    """
    from supportability.training.pipeline import train_and_register
    from supportability.training.trainer import TrainConfig

    steps = _Steps(12 if kind == "linear" else 20, f"train {kind}")
    if data_path is None:
        from supportability.data.generator import GeneratorConfig, generate

        steps(f"generating {n_cases} synthetic cases")
        dataset = generate(GeneratorConfig(n_cases=n_cases, seed=seed))
        use_chars = bool(char_ngrams)
    else:
        steps(f"reading {data_path}")
        dataset, skipped = _load(data_path, columns, defaults, skip_invalid)
        _print_skipped(skipped)
        use_chars = char_ngrams is not False
    if articles_path:
        from supportability.data.loaders import load_articles

        dataset.articles = load_articles(articles_path)
    # Your own texts: TF-IDF; the synthetic data's evidence adds up per mention: counts (see TrainConfig).
    weighting = "counts" if data_path is None else "tfidf"
    config = TrainConfig(seed=seed, text_weighting=weighting, char_ngrams=(2, 5) if use_chars else None,
                         target_precision=target_precision)
    neural = None
    if kind != "linear":
        from supportability.training.neural_config import NeuralConfig

        chosen = {"max_epochs": epochs, "hidden": hidden, "fine_tune": False if frozen_encoder else None}
        neural = NeuralConfig.for_kind(kind, seed=seed, text_weighting=weighting, target_precision=target_precision,
                                       char_ngrams=config.char_ngrams,
                                       **{k: v for k, v in chosen.items() if v is not None})
    if kind == "student":
        teacher_version = _teacher_for(registry_path, dataset, teacher_version)
        steps(f"learning from {teacher_version}" if teacher_version else "no model to learn from: labels only")
    try:
        version = train_and_register(dataset, registry_path, config=config, promote=promote, progress=steps,
                                     kind=kind, neural=neural, teacher_version=teacher_version)
        steps.done()
    finally:
        steps.close()
    _summary(registry_path, version)


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
            _fail(str(e))
        return requested
    fingerprint = dataset.fingerprint()
    accuracy = {info.version: value for info in registry.list() if info.data_fingerprint == fingerprint
                for task, name, value, slice_ in info.metrics
                if (task, name, slice_) == ("routing", "top1_accuracy", "")}
    return max(accuracy, key=accuracy.get, default=None)


@click.command()
@registry_option
@click.option("--version", default=None, help="Version to evaluate (default: the promoted one).")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Evaluate on this labelled file instead of regenerating the version's own test split.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Report directory (default: the version's report/ folder in the registry).")
def evaluate(registry_path: str, version: str | None, data_path: str | None, columns: tuple[str, ...],
             defaults: tuple[str, ...], out_dir: str | None) -> None:
    """Evaluate a version and write its HTML report, PNG plots and metrics.json."""
    from supportability.evaluation.evaluate import evaluate as run_evaluation
    from supportability.evaluation.report import write_report
    from supportability.registry import Registry, RegistryError

    registry = Registry(registry_path)
    steps = _Steps(4, "evaluate")
    try:
        model = registry.load(version)
    except RegistryError as e:
        steps.close()
        _fail(str(e))
    version = model.info.version
    steps(f"loaded {version}")
    if data_path:
        dataset, _ = _load(data_path, columns, defaults, False)
        test, source = dataset, data_path
    else:
        test, source = _version_test_split(registry, version)
    steps(f"evaluating on {len(test)} cases")
    evaluation = run_evaluation(model, test)
    target = Path(out_dir) if out_dir else registry.versions_dir / version / "report"
    steps("writing the report")
    report = write_report(evaluation, target, title=f"Model {version}: evaluation on {len(test)} cases",
                          data_source=source)
    if not data_path and out_dir is None:
        registry.set_metrics(version, evaluation.metrics + [m for m in model.info.metrics if m[0] == "training"])
    steps("done")
    steps.close()
    click.echo(f"report: {report}")
    for task, name, value, slice_ in evaluation.metrics:
        if not slice_ and name in _HEADLINE:
            click.echo(f"  {task:16} {name:28} {value:.4f}")


_HEADLINE = {"top1_accuracy", "bayes_top1_accuracy", "ece", "auroc", "bayes_auroc", "coverage", "precision",
             "mrr", "recall_at_3", "pinball_p50_hours", "p90_coverage"}


def _version_test_split(registry, version: str):
    """Rebuild a synthetic version's held-out test split from its recorded data source and config."""
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.training.trainer import TrainConfig, split

    manifest = registry.manifest(version)
    source = manifest["data"]["source"]
    if not source.startswith("synthetic:"):
        _fail(f"version {version} was trained on {source}; pass --data to evaluate it")
    fields = dict(item.split("=", 1) for item in source[len("synthetic:"):].split(","))
    defaults = GeneratorConfig()
    config = GeneratorConfig(**{k: type(getattr(defaults, k))(v) for k, v in fields.items()})
    dataset = generate(config)
    train_config = manifest.get("training_config", {})
    splits = split(dataset, TrainConfig(**{k: v for k, v in train_config.items()
                                            if k in ("seed", "test_fraction", "calibration_fraction")}))
    return dataset.subset(splits.test), source


# ---- models -------------------------------------------------------------------------------------
@click.group()
def models() -> None:
    """List, inspect, promote and roll back model versions."""


@models.command("list")
@registry_option
def list_command(registry_path: str) -> None:
    """Registered versions, newest first; * marks the promoted one."""
    from supportability.registry import Registry

    registry = Registry(registry_path)
    promoted = registry.promoted_version()
    infos = registry.list()
    if not infos:
        click.echo(f"no model versions in {registry_path}")
    for info in infos:
        top1 = next((v for t, n, v, s in info.metrics if (t, n, s) == ("routing", "top1_accuracy", "")), None)
        click.echo(f"{'*' if info.version == promoted else ' '} {info.version}  {info.kind:8} "
                   f"{info.created_time:%Y-%m-%d %H:%M}  {info.data_case_count:>7} cases  routing top-1 "
                   f"{'-' if top1 is None else f'{top1:.3f}'}  {','.join(info.tasks)}")


@models.command("show")
@registry_option
@click.argument("version", required=False)
def show_command(registry_path: str, version: str | None) -> None:
    """Print a version's manifest (default: the promoted one)."""
    from supportability.registry import Registry, RegistryError

    registry = Registry(registry_path)
    try:
        version = version or registry.promoted_version()
        if version is None:
            _fail(f"no promoted version in {registry_path}")
        click.echo(json.dumps(registry.manifest(version), indent=2))
    except RegistryError as e:
        _fail(str(e))


@models.command("promote")
@registry_option
@click.argument("version")
def promote_command(registry_path: str, version: str) -> None:
    """Serve VERSION by default (after verifying it loads)."""
    from supportability.registry import Registry, RegistryError

    try:
        Registry(registry_path).promote(version)
    except RegistryError as e:
        _fail(str(e))
    click.echo(f"promoted {version}")


@models.command("rollback")
@registry_option
def rollback_command(registry_path: str) -> None:
    """Promote the previously promoted version again."""
    from supportability.registry import Registry, RegistryError

    try:
        version = Registry(registry_path).rollback()
    except RegistryError as e:
        _fail(str(e))
    click.echo(f"rolled back to {version}")


# ---- helpers ------------------------------------------------------------------------------------
def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            _fail(f"{option} expects FIELD=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _load(path: str, columns: tuple[str, ...], defaults: tuple[str, ...], skip_invalid: bool):
    from supportability.data.loaders import DataError, load_cases

    try:
        return load_cases(path, columns=_pairs(columns, "--column"), defaults=_pairs(defaults, "--default"),
                          skip_invalid=skip_invalid)
    except DataError as e:
        _fail(str(e))


def _print_skipped(skipped) -> None:
    if skipped:
        click.echo(f"skipped {len(skipped)} invalid rows:", err=True)
        for error in skipped[:20]:
            click.echo(f"  {error}", err=True)
        if len(skipped) > 20:
            click.echo(f"  ... and {len(skipped) - 20} more", err=True)


def _summary(registry_path: str, version: str) -> None:
    from supportability.registry import Registry

    info = Registry(registry_path).info(version)
    click.echo(f"version {version}: {info.kind} model ({', '.join(info.tasks)})")
    for task, name, value, slice_ in info.metrics:
        if not slice_ and name in _HEADLINE:
            click.echo(f"  {task:16} {name:28} {value:.4f}")
    click.echo(f"report: {Path(registry_path) / 'versions' / version / 'report' / 'report.html'}")
