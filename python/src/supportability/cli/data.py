"""`supportability data generate | check | audit`: synthetic cases, checks and label audits of your own files."""

from __future__ import annotations

import click

from supportability.cli.options import DEFAULT_DATA, Steps, fail, load_data, print_skipped


@click.group()
def data() -> None:
    """Generate synthetic support cases, or check your own data files and audit their labels."""


@data.command("generate")
@click.option(
    "--out",
    "out_path",
    default=DEFAULT_DATA,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Output file; the format follows the extension: .csv, .jsonl or .parquet.",
)
@click.option("--cases", "n_cases", default=30_000, show_default=True, type=click.IntRange(min=10))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--imbalance",
    default=0.8,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Zipf exponent of the queue prior (0 = balanced queues).",
)
@click.option(
    "--label-noise",
    default=0.03,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of labels drawn uniformly at random.",
)
@click.option(
    "--ambiguity",
    default=0.12,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of cases whose only topic phrase is shared by several queues.",
)
@click.option(
    "--multi-topic",
    default=0.10,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of cases that also mention a second queue.",
)
@click.option(
    "--vague",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Share of short messages with no topic information.",
)
@click.option(
    "--typo-rate", default=0.02, show_default=True, type=click.FloatRange(0, 1), help="Per-word probability of a typo."
)
@click.option("--drift", default=1.0, show_default=True, type=float, help="Strength of topic drift over time.")
@click.option(
    "--interactions",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Strength of threshold and interaction effects of the account context on escalation, urgency and "
    "CSAT (e.g. enterprise plan x many disputes; failed payouts only above a volume); 0 = none. The true "
    "probabilities stay exact.",
)
def generate_command(out_path: str, n_cases: int, seed: int, **knobs: float) -> None:
    """Generate labelled synthetic cases, with their true label probabilities (columns true_*)."""
    from supportability.data.generator import GeneratorConfig, generate
    from supportability.data.io import write_cases

    config = GeneratorConfig(n_cases=n_cases, seed=seed, **knobs)  # type: ignore[arg-type]  # click passes the float knobs by name
    steps = Steps(2, "data generate")
    steps("generating")
    dataset = generate(config)
    steps(f"writing {out_path}")
    write_cases(dataset, out_path)
    steps.close()
    click.echo(f"wrote {len(dataset)} cases to {out_path} (fingerprint {dataset.fingerprint()[:12]})")


@data.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read FIELD from the file's COLUMN, e.g. --column body=text --column queue=category.",
)
@click.option(
    "--default",
    "defaults",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Value for a FIELD the file does not have, e.g. --default channel=web_form.",
)
@click.option("--skip-invalid", is_flag=True, help="Skip invalid rows (and report them) instead of failing.")
def check_command(path: str, columns: tuple[str, ...], defaults: tuple[str, ...], skip_invalid: bool) -> None:
    """Validate a CSV, JSONL or Parquet file of cases; print what a training run would read."""
    dataset, skipped = load_data(path, columns, defaults, skip_invalid)
    click.echo(f"{path}: {len(dataset)} valid cases; labels: {', '.join(sorted(dataset.labels)) or 'none'}")
    print_skipped(skipped)


@data.command("audit")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping (see `data check`).")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for report.html, flagged.csv and audit.json (an earlier audit there is replaced).",
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--text-weighting",
    type=click.Choice(["tfidf", "counts"]),
    default="tfidf",
    show_default=True,
    help="Text features of the cross-fitted models, as in training: tfidf for your texts, counts for the "
    "synthetic data (whose evidence adds up per mention).",
)
@click.option(
    "--char-ngrams/--no-char-ngrams",
    default=False,
    show_default=True,
    help="Add character 2-5-grams to the text features (slower; off keeps 30,000 cases within two minutes).",
)
def audit_command(
    path: str,
    columns: tuple[str, ...],
    defaults: tuple[str, ...],
    out_dir: str,
    seed: int,
    text_weighting: str,
    char_ngrams: bool,
) -> None:
    """Find likely label errors in a labelled file: confident learning on cross-fitted routing (and
    urgency) probabilities, near-duplicates with different labels, confusable queues, noise rates."""
    from pathlib import Path

    from supportability.audit.report import check_target, write_audit
    from supportability.audit.run import AuditError, audit

    out = Path(out_dir)
    try:
        check_target(out)
    except AuditError as e:
        fail(str(e))
    if not Path(path).is_file():
        fail(f"{path}: no such file")
    try:
        dataset, _ = load_data(path, columns, defaults, False)
    except (OSError, UnicodeDecodeError, ValueError) as e:  # unreadable: permissions, not text, not Parquet
        fail(f"{path}: cannot be read ({e})")
    steps = Steps(8, "data audit")
    try:
        found = audit(dataset, seed=seed, text_weighting=text_weighting, char_ngrams=char_ngrams, progress=steps)
        steps("writing the report")
        report = write_audit(found, out, path)
    except AuditError as e:
        fail(f"{path}: {e}")
    finally:
        steps.close()
    click.echo(f"report: {report}")
    for task, result in found.labels.items():
        line = f"  {task:10} {int(result.flagged.sum())} of {len(dataset)} labels flagged"
        line += f"; labels right (estimate): {result.accuracy_ceiling:.3f}"
        if task in found.truth:
            t = found.truth[task]
            line += f"; against the truth: precision {t.flagged_precision:.3f}, recall {t.flagged_recall:.3f}"
        click.echo(line)
    click.echo(f"  near-duplicate groups with different routing labels: {len(found.conflicts)}")
    for note in found.notes:
        click.echo(f"  {note}")
