"""`lrs-keycloak db upgrade` and `db current`: the store's schema changes only when asked."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from lrs_keycloak import dev_mail, local_keycloak
from lrs_keycloak.cli import db as cli_db
from lrs_keycloak.cli import main
from lrs_keycloak.cli import serve as cli_serve
from lrs_keycloak.cli.errors import error_boundary
from lrs_keycloak.store.db import SchemaOutOfDate, head_revision


def test_upgrade_brings_a_new_database_to_this_versions_revision_and_is_safe_to_repeat(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    before = CliRunner().invoke(main, ["db", "current", "--database-url", url])
    assert before.exit_code == 1, before.output
    assert "at revision none" in before.output and "lrs-keycloak db upgrade" in before.output

    done = CliRunner().invoke(main, ["db", "upgrade", "--database-url", url])
    assert done.exit_code == 0, done.output
    assert f"from revision none to {head_revision()}" in done.output
    assert "audit_events" in inspect(create_engine(url)).get_table_names()

    again = CliRunner().invoke(main, ["db", "upgrade", "--database-url", url])
    assert again.exit_code == 0 and "nothing to upgrade" in again.output
    now = CliRunner().invoke(main, ["db", "current", "--database-url", url])
    assert now.exit_code == 0 and f"at revision {head_revision()}, this version's" in now.output


def test_the_database_is_named_without_its_password() -> None:
    shown = cli_db._where("postgresql+psycopg://lrs:s3cret@db.example:5432/lrs")
    assert "s3cret" not in shown and "db.example:5432/lrs" in shown


def test_a_schema_behind_is_reported_as_what_to_run_not_as_an_unexpected_error() -> None:
    def fails_with(error: Exception) -> click.Command:
        @click.command()
        def command() -> None:
            with error_boundary():
                raise error

        return command

    behind = SchemaOutOfDate("The database x has no schema yet: run `lrs-keycloak db upgrade`.")
    told = CliRunner().invoke(fails_with(behind))
    assert (told.exit_code, told.output) == (1, f"Error: {behind}\n")
    other = CliRunner().invoke(fails_with(ValueError("boom")))
    assert (other.exit_code, other.output) == (1, "Unexpected error (ValueError): boom\n")


def test_run_upgrades_the_store_after_starting_keycloak_and_before_syncing_and_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []
    monkeypatch.setattr(local_keycloak, "start", lambda database: done.append("keycloak") or "")
    monkeypatch.setattr(cli_serve, "upgrade", lambda: done.append("upgrade") or "")
    monkeypatch.setattr(cli_serve, "run_sync", lambda *args: done.append("sync") or 0)
    monkeypatch.setattr(dev_mail, "start_if_needed", lambda log: None)
    monkeypatch.setattr(cli_serve, "serve_app", lambda host, port: done.append("serve"))
    monkeypatch.setattr("lrs_keycloak.cli.demo.demo_accounts", lambda settings: [])
    monkeypatch.setattr(cli_serve, "worker_process", contextlib.nullcontext)
    ran = CliRunner().invoke(main, ["run"])
    assert ran.exit_code == 0, ran.output
    assert done == ["keycloak", "upgrade", "sync", "serve"]
