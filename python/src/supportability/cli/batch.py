"""`supportability batch score`: a file of cases in, a Parquet file of every task's predictions out."""

from __future__ import annotations

import time

import click

from supportability.cli.options import fail, pairs, registry_option


@click.group()
def batch() -> None:
    """Score files of cases offline: backfills, nightly runs, a new version on last quarter."""


@batch.command("score")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False), help=".parquet, .csv or .jsonl.")
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(),
    help="Parquet output: a file (local engine) or a directory of part files (Spark), replaced when the run succeeds.",
)
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True)
@click.option("--version", default=None, help="Model version (default: the promoted one).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Column mapping (see `data check`).")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Defaults for absent fields.")
@click.option("--master", default="local[2]", show_default=True, help="With --engine spark: the Spark master URL.")
@registry_option
def score(
    input_path: str,
    output_path: str,
    engine: str,
    version: str | None,
    columns: tuple[str, ...],
    defaults: tuple[str, ...],
    master: str,
    registry_path: str,
) -> None:
    """Score every case of INPUT with one model version into OUTPUT.

    The output has a row per case: its input row number and case id, a prediction id and the
    version, and every task's outputs (top queues and probabilities, escalation, urgency, CSAT
    risk, resolution p50/p90, suggested articles, the decision with its confidence, threshold
    and reason). A bad row stops the run with the file, row and column, and writes nothing."""
    from supportability.data.loaders import DataError
    from supportability.registry import Registry, RegistryError

    mapping, default_values = pairs(columns, "--column"), pairs(defaults, "--default")
    started = time.monotonic()
    try:
        if engine == "local":
            from supportability.batch.local import score_file

            model = Registry(registry_path).load(version)
            count = score_file(model, input_path, output_path, columns=mapping, defaults=default_values, progress=True)
            used: str | None = model.info.version
        else:
            from supportability.batch import spark

            session = spark.session(master)
            try:
                count = spark.score_file(
                    session,
                    registry_path,
                    input_path,
                    output_path,
                    version=version,
                    columns=mapping,
                    defaults=default_values,
                )
            finally:
                session.stop()
            used = version or Registry(registry_path).promoted_version()
    except (DataError, RegistryError) as exc:
        fail(str(exc))
    seconds = time.monotonic() - started
    rate = count / seconds if seconds else 0.0
    click.echo(f"scored {count} cases with {used} into {output_path} in {seconds:.1f} s ({rate:.0f} cases/s)")
