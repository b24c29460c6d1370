"""What the pipeline's commands share: the registry option, the progress bar, data loading, errors."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import click

DEFAULT_REGISTRY = "var/registry"
DEFAULT_DATA = "var/data/cases.jsonl"
registry_option = click.option(
    "--registry",
    "registry_path",
    default=DEFAULT_REGISTRY,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Model registry directory.",
)


class Steps:
    """A tqdm bar that advances one step per pipeline stage and shows the stage's name."""

    def __init__(self, total: int, description: str):
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            desc=description,
            unit="step",
            file=sys.stderr,
            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:24}| {elapsed} {postfix}",
        )

    def __call__(self, message: str) -> None:
        self.bar.set_postfix_str(message)
        if self.bar.n < self.bar.total:
            self.bar.update(1)

    def done(self) -> None:
        """Fill the bar: some runs take fewer steps than planned (early stopping)."""
        self.bar.update(self.bar.total - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            fail(f"{option} expects FIELD=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def load_data(path: str, columns: tuple[str, ...], defaults: tuple[str, ...], skip_invalid: bool):
    from supportability.data.loaders import DataError, load_cases

    try:
        return load_cases(
            path, columns=pairs(columns, "--column"), defaults=pairs(defaults, "--default"), skip_invalid=skip_invalid
        )
    except DataError as e:
        fail(str(e))


def print_skipped(skipped) -> None:
    if skipped:
        click.echo(f"skipped {len(skipped)} invalid rows:", err=True)
        for error in skipped[:20]:
            click.echo(f"  {error}", err=True)
        if len(skipped) > 20:
            click.echo(f"  ... and {len(skipped) - 20} more", err=True)


_AGE_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def since_time(age: str | None) -> datetime | None:
    """The start of a window given as an age back from now: 90m, 12h, 30d, 2w (None: no start)."""
    if age is None:
        return None
    text = age.strip().lower()
    try:
        amount = float(text[:-1])
        if not amount > 0:
            raise ValueError(age)
        return datetime.now(UTC) - timedelta(seconds=amount * _AGE_UNITS[text[-1:]])
    except (KeyError, ValueError, OverflowError):
        fail(f"--since expects a positive age such as 30d, 12h, 90m or 2w, got {age!r}")
