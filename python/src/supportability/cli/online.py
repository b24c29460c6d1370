"""`supportability online report | upgrade | prune`: the online store's report and upkeep."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from supportability.cli.options import fail, parse_age, parse_since, registry_option

if TYPE_CHECKING:
    from supportability.online.sql_store import SqlStore

DEFAULT_STORE = "sqlite:///var/online.db"  # as online/database.py (not imported: --help stays light)
DEFAULT_OUT = "var/online-report"

store_option = click.option(
    "--store", "store_url", default=DEFAULT_STORE, show_default=True, help="Online store URL (SQLAlchemy)."
)


def _open(store_url: str) -> SqlStore:
    from sqlalchemy.engine import make_url

    from supportability.online.sql_store import SqlStore
    from supportability.online.store import StoreError

    url = make_url(store_url)
    local = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if local and not Path(str(url.database)).is_file():
        fail(f"no online store at {url.database}: serve with the online loop on, or pass --store")
    try:
        return SqlStore(store_url)
    except StoreError as exc:
        fail(str(exc))


@click.group()
def online() -> None:
    """The online store: the report on live outcomes, schema upgrades, retention."""


@online.command("report")
@store_option
@registry_option
@click.option("--since", help="Only predictions since then: an age (7d, 12h, 30m) or an ISO date/time (UTC).")
@click.option("--version", "model_version", help="Only this model version.")
@click.option("--out", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False))
def report_command(store_url: str, registry_path: str, since: str | None, model_version: str | None, out: str) -> None:
    """Write the online report (HTML with plots, and metrics.json): each version judged on its outcomes."""
    from supportability.online.report import write_online_report
    from supportability.online.store import StoreError
    from supportability.registry import Registry

    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    store = _open(store_url)
    try:
        path = write_online_report(store, Registry(registry_path), out, since=start, version=model_version)
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    click.echo(str(path))


@online.command("upgrade")
@store_option
def upgrade_command(store_url: str) -> None:
    """Bring the store's schema to this code's revision (Alembic)."""
    from sqlalchemy.exc import SQLAlchemyError

    from supportability.online import database

    writer, reader = database.engines(store_url)
    try:
        database.upgrade(writer)
    except SQLAlchemyError as exc:
        fail(str(exc))
    finally:
        writer.dispose()
        reader.dispose()
    click.echo(f"{store_url}: schema up to date")


@online.command("prune")
@store_option
@click.option("--older-than", "older_than", required=True, help="Delete predictions older than this age (90d).")
def prune_command(store_url: str, older_than: str) -> None:
    """Delete old predictions with their outcomes (the retention setting, run by hand)."""
    from supportability.online.store import StoreError

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    store = _open(store_url)
    try:
        deleted = store.prune(datetime.now(UTC) - age)
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    click.echo(f"deleted {deleted:,} predictions older than {older_than}")
