"""`supportability data generate | check`: synthetic cases, and checks of your own files."""

from __future__ import annotations

import click

from supportability.cli.options import DEFAULT_DATA, Steps, load_data, print_skipped


@click.group()
def data() -> None:
    """Generate synthetic support cases or check your own data files."""


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
