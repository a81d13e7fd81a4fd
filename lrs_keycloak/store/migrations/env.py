"""Alembic environment: the companion app's store, migrated by `store.db.upgrade`."""

from __future__ import annotations

from alembic import context

from lrs_keycloak.store.schema import metadata

target_metadata = metadata
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` on the command line: the URL from alembic's own config
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
