"""Alembic's entry point for the online store. The engine comes from `database.upgrade`, so the
migrations run the same from a source checkout and from an installed wheel."""

from __future__ import annotations

from alembic import context

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table.
    context.configure(connection=connection, render_as_batch=True)
    context.run_migrations()
