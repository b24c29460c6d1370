"""The migrations and the ORM tables agree, on every backend: the database twin of `buf breaking`."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from supportability.online import database
from supportability.online.schema import Base


def test_the_migrated_schema_is_the_orm_schema(store_url):
    writer, reader = database.engines(store_url)
    try:
        database.check_schema(writer, store_url)  # an empty database is migrated to head
        with writer.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        writer.dispose()
        reader.dispose()
    assert differences == [], f"migrations and schema.py disagree; add a revision: {differences}"
