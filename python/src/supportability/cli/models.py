"""`supportability models list | show | promote | rollback`: the registry's versions."""

from __future__ import annotations

import json

import click

from supportability.cli.options import fail, registry_option


@click.group()
def models() -> None:
    """List, inspect, promote and roll back model versions."""


@models.command("list")
@registry_option
def list_command(registry_path: str) -> None:
    """Registered versions, newest first; * marks the promoted one, ! one whose manifest is unreadable."""
    from supportability.registry import Registry

    registry = Registry(registry_path)
    promoted = registry.promoted_version()
    infos, unreadable = registry.scan()
    if not infos and not unreadable:
        click.echo(f"no model versions in {registry_path}")
    for info in infos:
        top1 = next((v for t, n, v, s in info.metrics if (t, n, s) == ("routing", "top1_accuracy", "")), None)
        click.echo(
            f"{'*' if info.version == promoted else ' '} {info.version}  {info.kind:8} "
            f"{info.created_time:%Y-%m-%d %H:%M}  {info.data_case_count:>7} cases  routing top-1 "
            f"{'-' if top1 is None else f'{top1:.3f}'}  {','.join(info.tasks)}"
        )
    for bad in unreadable:
        click.echo(f"! {bad.version}  unreadable manifest: {bad.error}")


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
            fail(f"no promoted version in {registry_path}")
        click.echo(json.dumps(registry.manifest(version), indent=2))
    except RegistryError as e:
        fail(str(e))


@models.command("promote")
@registry_option
@click.argument("version")
def promote_command(registry_path: str, version: str) -> None:
    """Serve VERSION by default (after verifying it loads)."""
    from supportability.registry import Registry, RegistryError

    try:
        Registry(registry_path).promote(version)
    except RegistryError as e:
        fail(str(e))
    click.echo(f"promoted {version}")


@models.command("rollback")
@registry_option
def rollback_command(registry_path: str) -> None:
    """Promote the previously promoted version again."""
    from supportability.registry import Registry, RegistryError

    try:
        version = Registry(registry_path).rollback()
    except RegistryError as e:
        fail(str(e))
    click.echo(f"rolled back to {version}")
