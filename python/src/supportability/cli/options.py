"""What the pipeline's commands share: the registry option, the progress bar, data loading, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import click

from supportability.progress import progress_bar

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
    """A progress bar (a line per stage off a terminal) that advances one step per pipeline stage
    and shows the stage's name."""

    def __init__(self, total: int, description: str):
        self.bar = progress_bar(
            total=total,
            desc=description,
            unit="step",
            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:24}| {elapsed} {postfix}",
            line_interval=0,
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


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_age(text: str) -> timedelta:
    """ "90d", "12h", "30m", "45s" or "2w" as a timedelta."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if found is None:
        raise ValueError(f"{text!r} is not an age such as 7d, 12h or 30m")
    return timedelta(seconds=float(found[1]) * _AGE_UNITS[found[2]])


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An age before `now` ("7d") or an ISO date or time (UTC unless it says otherwise)."""
    try:
        return (now or datetime.now(UTC)) - parse_age(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither an age (7d, 12h) nor an ISO date or time") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def since_time(age: str | None) -> datetime | None:
    """`--since` as the start of a window (None: no start); a bad value is a usage error."""
    if age is None:
        return None
    try:
        return parse_since(age)
    except ValueError as exc:
        fail(f"--since: {exc}")
