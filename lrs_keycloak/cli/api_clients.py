"""`lrs-keycloak organisations api-client create|rotate|delete --org ORG`: an organisation's
integrating system's API client (docs/adr/0013, docs/api.md).

Run by the operator or the help desk with the admin credentials, named by ``--actor`` (default:
the OS user) in the organisation's audit trail. The secret is printed once, at create and at
rotate; nothing keeps a copy. Exit codes: 0 done, 1 error, 3 refused by a rule, 4 usage error.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator

if TYPE_CHECKING:
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.api_clients import Issued

F = TypeVar("F", bound=Callable[..., Any])


def _options(f: F) -> F:
    f = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(f)
    f = click.option(
        "--actor", default=None, help="Operator name for the audit log (default: OS user)."
    )(f)
    f = click.option("--realm", default=None, help="Realm name (default: realm.yaml/LRS_REALM).")(f)
    f = click.option("--org", "org_id", required=True, help="Organisation id.")(f)
    return f


def _root(realm: str | None) -> Root:
    from lrs_keycloak.composition import Root

    return Root(realm=realm)


def _operator(actor: str | None) -> Operator:
    return Operator(actor or getpass.getuser())


def _token_url(root: Root, realm: str | None) -> str:
    keycloak = root.settings.keycloak(realm or root.policy().realm)
    return f"{keycloak.issuer_url}/realms/{keycloak.realm}/protocol/openid-connect/token"


def _run(action: Callable[[], None]) -> None:
    with error_boundary():
        try:
            action()
        except (NotVisible, NotPermitted) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


def _show(issued: Issued, token_url: str, as_json: bool, headline: str) -> None:
    if as_json:
        shown = {
            "organisation_id": issued.organisation_id,
            "client_id": issued.client_id,
            "client_secret": issued.secret,
            "token_url": token_url,
            "audit_identity": issued.identity,
        }
        click.echo(json.dumps(shown, indent=2))
        return
    click.echo(headline)
    click.echo(f"  client id:     {issued.client_id}")
    click.echo(f"  client secret: {issued.secret}")
    click.echo(f"  token URL:     {token_url}")
    click.echo(
        "The secret is shown this once and kept nowhere by lrs-keycloak: hand it to the "
        "organisation's integrator by a secure route now. See docs/api.md, 'Getting a token'."
    )


@click.group("api-client")
def api_client() -> None:
    """An organisation's integrating system's API client: reads its users and audit trail
    (docs/adr/0013)."""


@api_client.command("create")
@_options
def create(org_id: str, realm: str | None, actor: str | None, as_json: bool) -> None:
    """Create the client lrs-api-ORG (client credentials only) and print its secret once."""

    def run() -> None:
        root = _root(realm)
        issued = root.api_clients().create(_operator(actor), org_id)
        _show(issued, _token_url(root, realm), as_json, f"Created {issued.client_id}.")

    _run(run)


@api_client.command("rotate")
@_options
def rotate(org_id: str, realm: str | None, actor: str | None, as_json: bool) -> None:
    """Replace the client's secret (the old one stops working) and print the new one once."""

    def run() -> None:
        root = _root(realm)
        issued = root.api_clients().rotate(_operator(actor), org_id)
        _show(issued, _token_url(root, realm), as_json, f"New secret for {issued.client_id}.")

    _run(run)


@api_client.command("delete")
@_options
def delete(org_id: str, realm: str | None, actor: str | None, as_json: bool) -> None:
    """Delete the client and its service account: its tokens are refused from then on."""

    def run() -> None:
        _root(realm).api_clients().delete(_operator(actor), org_id)
        if as_json:
            click.echo(json.dumps({"organisation_id": org_id, "deleted": True}))
        else:
            click.echo(f"Deleted the API client of {org_id}.")

    _run(run)


__all__ = ["api_client"]
