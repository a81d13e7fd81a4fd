"""The companion app's relational store: one SQLAlchemy engine per URL, and its schema.

SQLite file under the project's cache by default; any SQLAlchemy URL (PostgreSQL in production)
through ``LRS_DATABASE_URL``. The schema is the Alembic migrations', brought up to date only by
`upgrade` (``lrs-keycloak db upgrade``): an engine on a database whose schema is behind is
refused (`SchemaOutOfDate`), so that no command changes a shared database as a side effect.
The one exception is an empty SQLite database in local development, or in memory: nothing is
there to upgrade and no other process can be using an older schema, so its tables are made at
once (docs/adr/0010).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect

from lrs_keycloak.settings import load_settings
from lrs_keycloak.store.schema import metadata

if TYPE_CHECKING:
    from lrs_keycloak.settings import Settings

IN_MEMORY = ("sqlite://", "sqlite:///:memory:")
UPGRADE_COMMAND = "lrs-keycloak db upgrade"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is not the one this version needs; the message says what to run."""


def database_url(settings: Settings | None = None) -> str:
    """``LRS_DATABASE_URL``, else the SQLite file in the cache folder."""
    return (settings or load_settings()).database()


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


def _alembic() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision of the migrations: the schema this version needs."""
    head = ScriptDirectory.from_config(_alembic()).get_current_head()
    assert head is not None, "the store has migrations"
    return head


def schema_revision(connection: Connection) -> str | None:
    """The database's revision (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema with Alembic (the migrations are the schema)."""
    config = _alembic()
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


def check_schema(engine: Engine, create_if_empty: bool = False) -> None:
    """Refuse (`SchemaOutOfDate`) a database whose schema is not this version's; an empty one
    is given the schema when ``create_if_empty``."""
    head = head_revision()
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        revision = schema_revision(connection) if "alembic_version" in tables else None
    if revision == head:
        return
    if not tables and create_if_empty:
        upgrade(engine)
        return
    where = engine.url.render_as_string(hide_password=True)
    if revision is not None and revision not in _known_revisions():
        raise SchemaOutOfDate(
            f"The database {where} is at revision {revision}, which this version does not know "
            f"(it needs {head}): a newer lrs-keycloak upgraded it; run that version."
        )
    if revision is not None:
        state = f"schema is at revision {revision}"
    elif tables:
        state = "schema is at no revision (its tables were made before migrations)"
    else:
        state = "has no schema yet"
    raise SchemaOutOfDate(
        f"The database {where} {state}, this version needs revision {head}: "
        f"run `{UPGRADE_COMMAND}`."
    )


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(_alembic()).walk_revisions())


def may_create(url: str, settings: Settings | None = None) -> bool:
    """Whether an empty database at ``url`` is given its schema without `upgrade`: in memory
    (nothing to upgrade, no other process), or a SQLite file in local development."""
    if url in IN_MEMORY:
        return True
    return url.startswith("sqlite") and (settings or load_settings()).is_development


def make_engine(
    url: str | None = None, *, settings: Settings | None = None, check: bool = True
) -> Engine:
    """An engine on ``url`` (else the settings' database), whose schema is this version's
    (`check_schema`; ``check=False`` for `upgrade` itself, which brings it there)."""
    url = url or database_url(settings)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # The web app and worker threads share the engine; SQLite must allow that.
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in IN_MEMORY:
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool  # one in-memory database, shared by all threads
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            # Concurrent writers (20 parallel creations) wait instead of failing "locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 10000")
            if url not in IN_MEMORY:
                # WAL: readers never block the writer, and a commit appends to the log instead
                # of rewriting pages; NORMAL syncs at checkpoints, which in WAL mode cannot
                # corrupt the file (a power cut may lose the last commits, never the database).
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

    if check:
        try:
            check_schema(engine, create_if_empty=may_create(url, settings))
        except BaseException:
            engine.dispose()  # close the connection the check opened
            raise
    return engine
