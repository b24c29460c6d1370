"""The `supportability` command line: `serve` and `ensure-model` here, the pipeline's commands
(`data`, `train`, `evaluate`, `models`) in their own modules beside this one.

Heavy imports happen inside the commands, so `supportability --help` stays fast."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
import uvloop

from supportability.cli.assistant import mcp_command
from supportability.cli.batch import batch
from supportability.cli.data import data
from supportability.cli.experiments import experiments
from supportability.cli.models import models
from supportability.cli.online import online
from supportability.cli.options import registry_option
from supportability.cli.simulate import simulate
from supportability.cli.train import evaluate, train
from supportability.serving.config import ENV_PREFIX, ServerConfig

_CLICK_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def _config_options(command: Any) -> Any:
    """One --option per ServerConfig setting, so the two can never disagree."""
    for f in reversed(dataclasses.fields(ServerConfig)):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} [env {ENV_PREFIX}{f.name.upper()}; default {f.default!r}]"
        if f.type == "bool":
            command = click.option(f"{flag}/--no-{flag[2:]}", f.name, default=None, help=help_text)(command)
        else:
            command = click.option(flag, f.name, type=_CLICK_TYPES[f.type], default=None, help=help_text)(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def main() -> None:
    """Supportability: calibrated predictions for merchant support cases."""


@main.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML file of settings (keys as the option names, with underscores).",
)
@click.option(
    "--train-if-empty",
    is_flag=True,
    help="Train and promote the default model on synthetic data if the registry has none.",
)
@_config_options
def serve(config_file: str | None, train_if_empty: bool, **settings: Any) -> None:
    """Serve predictions over gRPC, with health checking and reflection.

    Settings come from defaults, then --config, then SUPPORTABILITY_* environment variables,
    then these options. SIGTERM stops accepting calls and lets in-flight ones finish. With
    --workers N, N processes share the port and a parent supervises them (python/README.md).
    """
    from supportability.serving.logs import configure_logging
    from supportability.serving.server import serve as run_server

    try:
        config = ServerConfig.load(config_file, **settings)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if config.workers < 1:
        raise click.UsageError(f"--workers must be at least 1, not {config.workers}")
    configure_logging(config.log_level)
    if train_if_empty:
        _ensure_model(config.registry)
    if config.workers > 1:
        from supportability.serving import workers

        raise SystemExit(workers.run(config))
    # uvloop's event loop costs measurably less per call than asyncio's under grpc.aio.
    uvloop.run(run_server(config))


@main.command("ensure-model")
@registry_option
def ensure_model(registry_path: str) -> None:
    """Make sure the registry's promoted model loads; if there is none, or this code cannot load
    it (an artifact from an older format), train and promote the default model."""
    _ensure_model(registry_path)


def _ensure_model(registry_path: str) -> None:
    from supportability.registry import ArtifactError, ModelNotFoundError, Registry
    from supportability.training import train_default

    try:
        version = Registry(registry_path).load().info.version
        click.echo(f"{registry_path}: promoted model {version} loads", err=True)
    except (ModelNotFoundError, ArtifactError) as exc:
        click.echo(f"{registry_path}: {exc}; training the default model", err=True)
        train_default(registry_path, progress=True)


for command in (data, models, train, evaluate, simulate, online, mcp_command, experiments, batch):
    main.add_command(command)
