"""`lrs-keycloak keycloak …`: the pinned Keycloak on this machine (a development tool, ADR 1)."""

from __future__ import annotations

import sys

import click

from lrs_keycloak import local_keycloak
from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary

database_option = click.option(
    "--database",
    type=click.Choice(local_keycloak.DATABASES),
    default="dev-file",
    envvar="LRS_KEYCLOAK_DATABASE",
    show_default=True,
    help="Where the local Keycloak keeps its data: its own dev-file database, or Debian's "
    "PostgreSQL (started by scripts/postgres; the database of docker-compose.yml and production).",
)


@click.group()
def keycloak() -> None:
    """Run the pinned Keycloak on this machine (no Docker needed)."""


@keycloak.command("start")
@database_option
def keycloak_start(database: str) -> None:
    """Fetch, unpack and start Keycloak with the extension; returns once it is ready."""
    with error_boundary():
        click.echo(local_keycloak.start(database=database))


@keycloak.command("stop")
def keycloak_stop() -> None:
    """Stop the Keycloak this command started (by its recorded pid)."""
    with error_boundary():
        click.echo(local_keycloak.stop())


@keycloak.command("status")
def keycloak_status() -> None:
    """Exit 0 when the local Keycloak is ready, 1 otherwise."""
    ready, message = local_keycloak.status()
    click.echo(message)
    sys.exit(0 if ready else EXIT_ERROR)
