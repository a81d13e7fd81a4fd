"""The store's schema comes from its Alembic migrations, and they match the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, create_engine, insert, inspect, select, text

import lrs_keycloak.store.deliveries
import lrs_keycloak.store.enforcement
import lrs_keycloak.store.idempotency
import lrs_keycloak.store.signatories  # noqa: F401  (their tables belong to the metadata)
from lrs_keycloak.domain.recovery import OPEN
from lrs_keycloak.store.db import MIGRATIONS, make_engine
from lrs_keycloak.store.models import Base
from lrs_keycloak.store.recovery import RecoveryStore
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on SQLite and on PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'revisions.sqlite'}"
        return
    with own_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


def test_a_new_database_is_migrated_to_the_newest_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {"audit_events", "enforcement_flags", "recovery_cases"} <= tables


def test_the_migrations_match_the_models(empty_url: str) -> None:
    engine = migrated_engine(empty_url)
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
    engine = migrated_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert "enforcement_cursors" in set(inspect(connection).get_table_names())
    engine.dispose()
    old.dispose()


def test_an_adopted_database_with_the_first_recovery_table_gets_the_later_columns(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old-recovery.sqlite'}"
    old = create_engine(url)
    with old.begin() as connection:  # every table as the first revision had it, unversioned
        command.upgrade(_alembic(connection), "0001")
        connection.execute(text("DROP TABLE alembic_version"))
    old.dispose()
    engine = migrated_engine(url)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("recovery_cases")}
    engine.dispose()
    assert {"form_recorded_by", "form_recorded_at"} <= columns


def test_the_migrations_run_on_postgresql(postgres_url: str) -> None:
    with own_schema(postgres_url) as url:
        engine = migrated_engine(url)
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        engine.dispose()
    wanted = {"audit_events", "enforcement_cursors", "recovery_cases", "alembic_version"}
    assert wanted <= tables


# --- 0002: a recovery case may await its form -----------------------------------------------


def _alembic(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _recovery_cases(connection: Connection) -> Table:
    return Table("recovery_cases", MetaData(), autoload_with=connection)


def test_migration_0002_keeps_cases_and_lets_a_case_await_its_form(empty_url: str) -> None:
    old = create_engine(empty_url)
    opened = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    with old.begin() as connection:
        command.upgrade(_alembic(connection), "0001")
        connection.execute(
            insert(_recovery_cases(connection)).values(
                organisation_id="anytown-college",
                state="received",
                form={"organisation_id": "anytown-college", "form_reference": "NSU-1"},
                form_reference="NSU-1",
                created_at=opened,
                updated_at=opened,
                raised_by="hal.helpdesk",
                primary_contact_updated=False,
            )
        )
    old.dispose()

    engine = migrated_engine(empty_url)  # migrates to the newest revision
    with engine.connect() as connection:
        (row,) = connection.execute(select(_recovery_cases(connection))).mappings().all()
    # The case was opened from its form by its raiser: who entered the form is known.
    assert (row["form_recorded_by"], row["form_reference"]) == ("hal.helpdesk", "NSU-1")
    assert row["form_recorded_at"].replace(tzinfo=UTC) == opened
    waiting, created = RecoveryStore(engine).create_awaiting_form("other-college", "lrs-enforcer")
    assert created and waiting.form is None
    with engine.connect() as connection:
        nulls = connection.execute(
            text("SELECT count(*) FROM recovery_cases WHERE form IS NULL")
        ).scalar()
    assert nulls == 1  # SQL NULL, not the JSON value null

    with engine.begin() as connection, pytest.raises(RuntimeError, match="have no form"):
        command.downgrade(_alembic(connection), "0001")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM recovery_cases WHERE form IS NULL"))
        command.downgrade(_alembic(connection), "0001")
        columns = {c["name"] for c in inspect(connection).get_columns("recovery_cases")}
    engine.dispose()
    assert "form_recorded_by" not in columns and "form" in columns


def test_migration_0003_names_the_open_states_of_the_domain() -> None:
    # The partial index holds "one open case per organisation"; a new open state needs a new
    # migration, or a case in it would escape the rule.
    import importlib.util

    path = MIGRATIONS / "versions" / "0003_one_open_recovery_case.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    named = {s.strip(" '") for s in module.OPEN_STATES.strip("()").split(",")}
    assert named == {s.value for s in OPEN}


def test_migration_0003_refuses_two_open_cases_of_one_organisation(empty_url: str) -> None:
    old = create_engine(empty_url)
    at = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    with old.begin() as connection:
        command.upgrade(_alembic(connection), "0002")
        for state in ("received", "awaiting_form", "cancelled"):
            connection.execute(
                insert(_recovery_cases(connection)).values(
                    organisation_id="anytown-college",
                    state=state,
                    created_at=at,
                    updated_at=at,
                    raised_by="hal.helpdesk",
                    primary_contact_updated=False,
                )
            )
        with pytest.raises(RuntimeError, match="anytown-college"):
            command.upgrade(_alembic(connection), "0003")
    old.dispose()
