"""`lrs-keycloak audit`: catch up with admin-console changes, list what is flagged (guide §8)."""

from __future__ import annotations

import json

import click

from lrs_keycloak.cli.errors import error_boundary


@click.command()
@click.option("--org", "org_id", default=None, help="Only this organisation's flags.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--realm", default=None)
def audit(org_id: str | None, as_json: bool, realm: str | None) -> None:
    """Catch up with admin-console changes, then list what is flagged (guide §8 audit)."""
    from lrs_keycloak.composition import Root

    with error_boundary():
        enforcer = Root(realm=realm).enforcer()
        store = enforcer.store
        handled = enforcer.poll()
        disabled = enforcer.sweep()
        flags = store.open_flags(org_id)
        if as_json:
            click.echo(json.dumps([f.as_dict() for f in flags], indent=2))
            return
        click.echo(f"Handled {handled} new admin events; disabled {len(disabled)} accounts.")
        if not flags:
            click.echo("Nothing flagged.")
        for f in flags:
            click.echo(f"  [{f.rule}] {f.organisation_id or '-'} {f.username}: {f.message}")
