"""`lrs-keycloak run` (the whole product on this machine) and `lrs-keycloak serve` (the app)."""

from __future__ import annotations

import sys

import click

from lrs_keycloak import local_keycloak
from lrs_keycloak.cli.db import upgrade
from lrs_keycloak.cli.errors import error_boundary
from lrs_keycloak.cli.keycloak import database_option
from lrs_keycloak.cli.policy import demo_organisations
from lrs_keycloak.cli.sync import run_sync, yes_option

host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option("--port", default=5000, type=int, show_default=True)


@click.command()
@host_option
@port_option
@database_option
@yes_option
def run(host: str, port: int, database: str, yes: bool) -> None:
    """Everything: Keycloak with the extension, the store's schema upgraded, the realm synced
    with the demo organisations, the app."""
    from lrs_keycloak.dev_mail import start_if_needed

    with error_boundary():
        click.echo(local_keycloak.start(database=database))
        click.echo(upgrade())
        code = run_sync(None, demo_organisations(), "apply", None, yes)
        if code != 0:
            sys.exit(code)
    catcher = start_if_needed(local_keycloak.paths().run / "mail.log")
    if catcher:
        click.echo(catcher)
    serve_app(host, port)


@click.command()
@host_option
@port_option
def serve(host: str, port: int) -> None:
    """Serve the companion app only (Keycloak must be running, the schema upgraded: see
    `lrs-keycloak db upgrade`)."""
    serve_app(host, port)


def serve_app(host: str, port: int) -> None:
    from lrs_keycloak.web import create_app

    with error_boundary():  # refused settings, or a schema behind: a message, not a trace
        # The poller catches what the webhook missed while the app was down (issue 5).
        app = create_app({"LRS_POLL_SECONDS": 15})
    click.echo(f"Companion app at http://{host}:{port}/ (Ctrl-C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)
