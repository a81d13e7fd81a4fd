"""Issue 10 §2: migrations are explicit. An engine never migrates a database that has a schema;
it refuses one that is behind, naming `lrs-keycloak db upgrade`, which `upgrade_database`
does. Only an empty SQLite database in local development (or in memory) is given its schema
at once (docs/adr/0010)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from lrs_keycloak.composition import database_revision, upgrade_database
from lrs_keycloak.store.db import SchemaOutOfDate, head_revision, make_engine
from lrs_keycloak.store.models import Base
from lrs_keycloak.web import create_app
from tests.support.postgres import own_schema
from tests.unit.store.test_migrations import _alembic


def _at(url: str, revision: str) -> None:
    old = create_engine(url)
    with old.begin() as connection:
        command.upgrade(_alembic(connection), revision)
    old.dispose()


def _revision(url: str) -> str | None:
    return database_revision(database_url=url)[0]


def test_a_schema_behind_is_refused_naming_both_revisions_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    _at(url, "0004")
    with pytest.raises(SchemaOutOfDate) as refused:
        make_engine(url)
    assert str(refused.value) == (
        f"The database {url} schema is at revision 0004, this version needs revision "
        f"{head_revision()}: run `lrs-keycloak db upgrade`."
    )
    assert _revision(url) == "0004"  # the engine did not migrate it


def test_upgrade_database_brings_it_up_to_date_and_is_safe_to_repeat(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    _at(url, "0004")
    assert upgrade_database(database_url=url) == ("0004", head_revision())
    assert upgrade_database(database_url=url) == (head_revision(), head_revision())
    make_engine(url).dispose()  # accepted now


def test_a_database_made_before_migrations_is_refused_until_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(url)
    Base.metadata.create_all(old, tables=[Base.metadata.tables["audit_events"]])
    old.dispose()
    with pytest.raises(SchemaOutOfDate, match=r"no revision .*made before migrations"):
        make_engine(url)
    assert upgrade_database(database_url=url) == (None, head_revision())


def test_a_schema_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    upgrade_database(database_url=url)
    with create_engine(url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaOutOfDate, match="9999, which this version does not know"):
        make_engine(url)


def test_an_empty_sqlite_file_is_given_its_schema_in_local_development_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LRS_KEYCLOAK_URL", raising=False)
    monkeypatch.setenv("LRS_ENV", "development")
    make_engine(f"sqlite:///{tmp_path / 'dev.sqlite'}").dispose()
    assert _revision(f"sqlite:///{tmp_path / 'dev.sqlite'}") == head_revision()

    monkeypatch.setenv("LRS_ENV", "production")
    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    with pytest.raises(SchemaOutOfDate, match=r"has no schema yet.*lrs-keycloak db upgrade"):
        make_engine(url)
    assert inspect(create_engine(url)).get_table_names() == []


def test_a_database_in_memory_is_always_given_its_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_ENV", "production")  # nothing to upgrade, no other process
    engine = make_engine("sqlite://")
    assert "audit_events" in inspect(engine).get_table_names()


def test_an_empty_postgresql_database_is_refused_not_created(postgres_url: str) -> None:
    with own_schema(postgres_url) as url:
        with pytest.raises(SchemaOutOfDate, match="has no schema yet") as refused:
            make_engine(url)
        assert "***" in str(refused.value)  # named without its password
        assert upgrade_database(database_url=url) == (None, head_revision())
        make_engine(url).dispose()


def test_the_app_refuses_at_start_a_store_whose_schema_is_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    _at(url, "0004")
    with pytest.raises(SchemaOutOfDate, match="lrs-keycloak db upgrade"):
        create_app({"LRS_DATABASE_URL": url, "LRS_ENFORCE": False})
