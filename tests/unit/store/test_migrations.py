"""The store's schema comes from its Alembic migrations, and they match the models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import lrs_keycloak.store.enforcement
import lrs_keycloak.store.recovery  # noqa: F401  (their tables belong to the metadata)
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.models import Base


def test_a_new_database_is_migrated_to_the_newest_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {"audit_events", "enforcement_flags", "recovery_cases"} <= tables


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'compare.sqlite'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "a model changed without a migration: add one under migrations/"


def test_a_database_made_before_migrations_is_adopted_not_recreated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(url)
    # As the audit log alone made it: the other stores' tables did not exist yet.
    Base.metadata.create_all(old, tables=[Base.metadata.tables["audit_events"]])
    with old.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (at, actor, action, details) "
                "VALUES ('2026-01-01 00:00:00', 'x', 'user_created', '{}')"
            )
        )
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert "enforcement_cursors" in set(inspect(connection).get_table_names())
    engine.dispose()
    old.dispose()


@pytest.mark.skipif(
    not os.environ.get("LRS_TEST_POSTGRES_URL"), reason="LRS_TEST_POSTGRES_URL is not set"
)
def test_the_migrations_run_on_postgresql() -> None:
    url = os.environ["LRS_TEST_POSTGRES_URL"]
    schema = f"migrations_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine_in(url, schema)
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names(schema=schema))
        engine.dispose()
        wanted = {"audit_events", "enforcement_cursors", "recovery_cases", "alembic_version"}
        assert wanted <= tables
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_engine_in(url: str, schema: str):  # type: ignore[no-untyped-def]
    """make_engine on a PostgreSQL URL whose connections use their own schema."""
    from sqlalchemy.engine import make_url

    separator = "&" if make_url(url).query else "?"
    return make_engine(f"{url}{separator}options=-csearch_path%3D{schema}")
