"""`lrs-keycloak agreement …`: the User Agreement shown at every logon (guide §4.3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.settings import config_dir, packaged_config_dir


@click.group()
def agreement() -> None:
    """The User Agreement shown at every logon (guide §4.3)."""


@agreement.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", required=True, help="The new version's label, e.g. 2.")
@click.option("--realm", default=None)
@click.option("--config", type=click.Path(file_okay=False, path_type=Path))
def agreement_publish(file: Path, version: str, realm: str | None, config: Path | None) -> None:
    """Keep FILE as a new version, make it current, and sync it so the next logon shows it."""
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.agreement import publish

    with error_boundary():
        directory = config or config_dir()
        if directory == packaged_config_dir():
            # Publishing writes into the policy folder: never into the installed package.
            raise click.UsageError(
                "The default policy inside the installed package is not edited. Make an "
                "editable copy with `lrs-keycloak init DIR`, then publish with --config DIR "
                "(or LRS_CONFIG_DIR=DIR)."
            )
        root = Root(realm=realm, config=directory)
        entry = publish(directory, file, version, root.resync)
        click.echo(
            f"Published User Agreement version {entry.version} to realm {root.policy().realm}."
        )


@agreement.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--config", type=click.Path(file_okay=False, path_type=Path))
def agreement_list(as_json: bool, config: Path | None) -> None:
    """The published versions, the current one marked."""
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.agreement import versions

    with error_boundary():
        rows = versions(Root(config=config).policy())
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            mark = "*" if row["current"] else " "
            click.echo(f"{mark} {row['version']:<8} {row['published']}  {row['published_by']}")


@agreement.command("report")
@click.option("--org", "org_id", required=True, help="Organisation id, e.g. riverside-college.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--realm", default=None)
def agreement_report(org_id: str, as_json: bool, realm: str | None) -> None:
    """Which of the organisation's users accepted which version, and when."""
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.user_admin import NotVisible, Operator

    with error_boundary():
        admin = Root(realm=realm).user_admin()
        policy = admin.policy
        try:
            rows = admin.agreement_report(Operator("operator"), org_id)
        except NotVisible as missing:
            click.echo(f"Error: {missing}", err=True)
            sys.exit(EXIT_ERROR)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        current = policy.agreement.current if policy.agreement else "-"
        click.echo(f"{org_id}: current version {current}; {len(rows)} users")
        for r in rows:
            state = (
                "current"
                if r["accepted_current_version"]
                else ("older" if r["accepted_version"] else "never")
            )
            version, at = r["accepted_version"] or "-", r["accepted_at"] or "-"
            click.echo(f"  {r['username']:<30} {version:<8} {at:<22} {state}")
