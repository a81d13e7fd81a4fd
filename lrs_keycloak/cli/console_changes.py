"""`lrs-keycloak users needs-reason` and `users add-reason`: console changes made without the
reason or reference the companion app would have asked for (issue 12, ADR 16)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from lrs_keycloak.cli.users import _boundary, _operator

if TYPE_CHECKING:
    from lrs_keycloak.services.console_trail import ConsoleTrail

_org = click.option("--org", "org_id", required=True, help="Organisation id.")
_realm = click.option("--realm", default=None, help="Realm (default: LRS_REALM).")
_actor = click.option(
    "--actor", default=None, help="Operator name for the audit log (default: OS user)."
)


def _trail(realm: str | None) -> ConsoleTrail:
    from lrs_keycloak.composition import Root

    return Root(realm=realm).console_trail()


@click.command("needs-reason")
@_org
@_realm
@_actor
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def needs_reason(org_id: str, realm: str | None, actor: str | None, as_json: bool) -> None:
    """List the organisation's console changes that still need a reason or reference."""
    with _boundary():
        changes = _trail(realm).needing_reason(_operator(actor), org_id)
        if as_json:
            click.echo(json.dumps([c.as_dict() for c in changes], indent=2))
            return
        if not changes:
            click.echo(f"No console change of {org_id} needs a reason.")
        for c in changes:
            click.echo(
                f"{c.id}\t{c.made_at:%Y-%m-%d %H:%M}\t{c.made_by}\t{c.action}\t{c.target}\t"
                f"needs a {c.needs}"
            )


@click.command("add-reason")
@_org
@click.argument("change_id", type=int)
@click.option("--reason", default=None, help="For a suspension or reinstatement.")
@click.option("--reference", default=None, help="For a role given: its approval's reference.")
@_realm
@_actor
def add_reason(
    org_id: str,
    change_id: int,
    reason: str | None,
    reference: str | None,
    realm: str | None,
    actor: str | None,
) -> None:
    """Give the reason (or reference) a console change was made without; both times are kept."""
    with _boundary(reason=reason, reference=reference):
        event = _trail(realm).add_reason(_operator(actor), org_id, change_id, reason, reference)
        click.echo(f"Recorded for change {change_id} (audit event {event.id}).")
