"""Engines, one managed session per operation, and the schema check, for SQLite and PostgreSQL.

- SQLite (the default, embedded): WAL with synchronous=FULL, so a committed write survives kill -9
  and power loss; foreign keys on; a busy timeout instead of failing at once on a held lock.
  Writes run in `BEGIN IMMEDIATE` transactions (the write lock first, so two writers queue rather
  than deadlock on a lock upgrade); reads in plain `BEGIN`, so a long report never blocks them.
- PostgreSQL by URL (`postgresql+psycopg://...`), with pre-ping so a restarted server is reconnected.

Database errors leave this module as the store's own: a locked, unreachable or restarting database
is `StoreUnavailable` (the service answers UNAVAILABLE, which callers retry), never a bare driver error.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from supportability.online.store import SchemaError, StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_STORE = "sqlite:///var/online.db"
BUSY_TIMEOUT_SECONDS = 5.0
MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
        ):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def engines(url: str) -> tuple[Engine, Engine]:
    """(writer, reader) engines for the URL; on PostgreSQL they are the same engine."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, immediate=True), _sqlite_engine(url, immediate=False)
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 3})
    return engine, engine


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means "try again later" rather than a bug of ours."""
    if isinstance(exc, OperationalError):
        return True  # locked, busy, connection refused or lost, server shutting down
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, sqlite3.OperationalError) as exc:
        # sqlite3's own errors come from the writer's statements sent straight to the driver.
        if isinstance(exc, sqlite3.OperationalError) or is_unavailable(exc):
            raise StoreUnavailable(
                f"the online store is unavailable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
            ) from exc
        raise


class ManagedSessions:
    """One session per operation: commit on success, roll back on error, database errors translated."""

    def __init__(self, engine: Engine) -> None:
        self._make = sessionmaker(engine, expire_on_commit=False)

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Session]:
        session = self._make()
        try:
            with _translated_errors(), session.begin():
                yield session
        finally:
            session.close()


class ManagedTransactions:
    """One Core transaction per write, as `ManagedSessions` does for reads. Every write is a Core
    statement, and a round on a bare connection costs about half the CPU of one on an ORM session
    (measured: 0.65-0.77 against 1.27-1.30 ms for a one-outcome round), which the writer pays per commit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Connection]:
        with _translated_errors(), self._engine.begin() as connection:
            yield connection


def _alembic_config(engine: Engine) -> Config:
    # Alembic (with Mako and Pygments, ~12 MB resident) only where the schema is checked or
    # migrated: the log writer's process, which opens the store the server has just checked, never is.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))  # in code, so an installed wheel upgrades
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to this code's head revision (`supportability online upgrade`)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


def check_schema(engine: Engine, url: str) -> None:
    """Create the schema in an empty database; refuse one at another revision, naming the fix."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            empty = not inspect(connection).get_table_names()
    except OperationalError as exc:
        raise StoreUnavailable(f"the online store {make_url(url).render_as_string()} is unavailable: {exc}") from exc
    if current == head:
        return
    if current is None and empty:
        upgrade(engine)
        return
    if current is None:
        raise SchemaError(
            f"{make_url(url).render_as_string()} has tables but no schema revision: "
            "it is not a Supportability online store"
        )
    try:
        known = ScriptDirectory.from_config(_alembic_config(engine)).get_revision(current) is not None
    except CommandError:  # a revision this code has never heard of
        known = False
    if not known:
        raise SchemaError(
            f"the online store's schema is at revision {current}, newer than this code's {head}: "
            "upgrade the supportability package"
        )
    raise SchemaError(
        f"the online store's schema is at revision {current}, older than this code's {head}: run "
        f"`supportability online upgrade --store {make_url(url).render_as_string()}`"
    )
