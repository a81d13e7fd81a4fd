"""The companion app's relational store: one SQLAlchemy engine per URL.

SQLite file under the project's cache by default; any SQLAlchemy URL (PostgreSQL in production)
through ``LRS_DATABASE_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

from lrs_keycloak.settings import cache_dir
from lrs_keycloak.store.schema import metadata


def database_url() -> str:
    url = os.environ.get("LRS_DATABASE_URL")
    if url:
        return url
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'lrs.sqlite'}"


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision whose tables `create_all` made before the store had migrations, and its tables.
FIRST_REVISION = "0001"
FIRST_REVISION_TABLES = (
    "audit_events",
    "enforcement_cursors",
    "enforcement_flags",
    "enforcement_memberships",
    "recovery_cases",
)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema with Alembic (the migrations are the schema)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and tables & set(FIRST_REVISION_TABLES):
            # Made by create_all before migrations existed, perhaps only partly (each store
            # created its own tables): complete the first revision's tables, then adopt it.
            wanted = [metadata.tables[name] for name in FIRST_REVISION_TABLES]
            metadata.create_all(connection, tables=wanted)
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")


def make_engine(url: str | None = None) -> Engine:
    """An engine on a database migrated to the newest schema."""
    url = url or database_url()
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # The web app and worker threads share the engine; SQLite must allow that.
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool  # one in-memory database, shared by all threads
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            # Concurrent writers (20 parallel creations) wait instead of failing "locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 10000")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                # WAL: readers never block the writer, and a commit appends to the log instead
                # of rewriting pages; NORMAL syncs at checkpoints, which in WAL mode cannot
                # corrupt the file (a power cut may lose the last commits, never the database).
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

    migrate(engine)
    return engine
