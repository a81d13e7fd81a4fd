"""The store's schema comes from its Alembic migrations, and they match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import lrs_keycloak.store.enforcement
import lrs_keycloak.store.recovery  # noqa: F401  (their tables belong to the metadata)
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.models import Base
from tests.support.postgres import own_schema


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


def test_the_migrations_run_on_postgresql(postgres_url: str) -> None:
    with own_schema(postgres_url) as url:
        engine = make_engine(url)
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        engine.dispose()
    wanted = {"audit_events", "enforcement_cursors", "recovery_cases", "alembic_version"}
    assert wanted <= tables
