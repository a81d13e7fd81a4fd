"""`lrs-keycloak`: the operator's command. Thin: parse, call, print, choose the exit code.

Exit codes (cli_errors): 0 done, 1 error, 2 drift (`sync --check`), 3 refused by a rule of the
guide, 4 usage error.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from lrs_keycloak import __version__, local_keycloak
from lrs_keycloak.cli_errors import EXIT_DRIFT, EXIT_ERROR, Group, error_boundary
from lrs_keycloak.cli_recovery import recovery
from lrs_keycloak.cli_users import organisations, users
from lrs_keycloak.config import load_organisations, load_policy
from lrs_keycloak.settings import (
    config_dir,
    default_config_dir,
    packaged_config_dir,
)

F = TypeVar("F", bound=Callable[..., Any])


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="lrs-keycloak")
def main() -> None:
    """Identity and user administration for the Learner Registration Service, on Keycloak."""


main.add_command(organisations)
main.add_command(users)
main.add_command(recovery)


# --- keycloak ---------------------------------------------------------------------------------


@main.group()
def keycloak() -> None:
    """Run the pinned Keycloak on this machine (no Docker needed)."""


database_option = click.option(
    "--database",
    type=click.Choice(local_keycloak.DATABASES),
    default="dev-file",
    envvar="LRS_KEYCLOAK_DATABASE",
    show_default=True,
    help="Where the local Keycloak keeps its data: its own dev-file database, or Debian's "
    "PostgreSQL (started by scripts/postgres; the database of docker-compose.yml and production).",
)


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


# --- sync -------------------------------------------------------------------------------------


def _sync(realm: str | None, organisations: Path | None, mode: str, config: Path | None) -> int:
    from lrs_keycloak.composition import build_gateway, build_policy
    from lrs_keycloak.keycloak.sync import apply, plan

    policy = build_policy(realm, config)
    orgs = load_organisations(organisations, policy) if organisations else None
    gateway = build_gateway(policy.realm)
    the_plan = plan(gateway, policy, orgs)
    if mode == "plan":
        click.echo(the_plan.describe())
        return 0
    if mode == "check":
        click.echo(the_plan.describe())
        return 0 if the_plan.empty else EXIT_DRIFT
    if the_plan.empty:
        click.echo(f"Realm {policy.realm} already matches the policy; nothing written.")
        return 0
    click.echo(the_plan.describe())
    applied = apply(gateway, the_plan)
    click.echo(f"Applied {applied} changes to realm {policy.realm}.")
    return 0


@main.command()
@click.option("--plan", "mode", flag_value="plan", help="Print what would change; write nothing.")
@click.option("--check", "mode", flag_value="check", help="Exit 0 if Keycloak matches, 2 if not.")
@click.option("--realm", default=None, help="Realm name (default: realm.yaml, or LRS_REALM).")
@click.option(
    "--organisations",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Organisation data file; without it, organisation groups are left as they are.",
)
@click.option("--config", type=click.Path(file_okay=False, path_type=Path), help="Policy folder.")
def sync(
    mode: str | None, realm: str | None, organisations: Path | None, config: Path | None
) -> None:
    """Make the Keycloak realm match realm-config/ (plan, then apply)."""
    code = EXIT_ERROR
    with error_boundary():
        code = _sync(realm, organisations, mode or "apply", config)
    sys.exit(code)


@main.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into DIR even when it is not empty.")
def init(directory: Path, force: bool) -> None:
    """Write an editable copy of the default policy (realm-config/) to DIR.

    Use it with LRS_CONFIG_DIR=DIR (or --config DIR). --force overwrites the default policy's
    files there and leaves any others.
    """
    with error_boundary():
        if directory.exists() and any(directory.iterdir()) and not force:
            click.echo(
                f"Error: {directory} is not empty; nothing was written (--force overwrites the "
                "default policy's files there).",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        shutil.copytree(default_config_dir(), directory, dirs_exist_ok=True)
        click.echo(
            f"Wrote the default policy to {directory}; edit it, then use it with "
            f"LRS_CONFIG_DIR={directory} (or --config {directory})."
        )


def _demo_organisations() -> Path:
    """The demo organisations of the policy in use, else those shipped with the default one."""
    chosen = config_dir() / "demo" / "organisations.yaml"
    return chosen if chosen.is_file() else default_config_dir() / "demo" / "organisations.yaml"


# --- agreement --------------------------------------------------------------------------------


@main.group()
def agreement() -> None:
    """The User Agreement shown at every logon (guide §4.3)."""


@agreement.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", required=True, help="The new version's label, e.g. 2.")
@click.option("--realm", default=None)
@click.option("--config", type=click.Path(file_okay=False, path_type=Path))
def agreement_publish(file: Path, version: str, realm: str | None, config: Path | None) -> None:
    """Keep FILE as a new version, make it current, and sync it so the next logon shows it."""
    from lrs_keycloak.composition import build_gateway
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
        policy = load_policy(directory, realm=realm)
        entry = publish(directory, file, version, build_gateway(policy.realm))
        click.echo(f"Published User Agreement version {entry.version} to realm {policy.realm}.")


@agreement.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--config", type=click.Path(file_okay=False, path_type=Path))
def agreement_list(as_json: bool, config: Path | None) -> None:
    """The published versions, the current one marked."""
    from lrs_keycloak.services.agreement import versions

    with error_boundary():
        rows = versions(load_policy(config or config_dir()))
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
        admin = Root(realm).user_admin()
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


# --- enforcement ------------------------------------------------------------------------------


@main.command()
@click.option("--org", "org_id", default=None, help="Only this organisation's flags.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--realm", default=None)
def audit(org_id: str | None, as_json: bool, realm: str | None) -> None:
    """Catch up with admin-console changes, then list what is flagged (guide §8 audit)."""
    from lrs_keycloak.composition import Root

    with error_boundary():
        enforcer = Root(realm).enforcer()
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


# --- the product --------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@database_option
def run(host: str, port: int, database: str) -> None:
    """Everything: Keycloak with the extension, the realm synced with demo data, the app."""
    from lrs_keycloak.dev_mail import start_if_needed

    with error_boundary():
        click.echo(local_keycloak.start(database=database))
        code = _sync(None, _demo_organisations(), "apply", None)
        if code != 0:
            sys.exit(code)
    catcher = start_if_needed(local_keycloak.paths().run / "mail.log")
    if catcher:
        click.echo(catcher)
    serve_app(host, port)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the companion app only (Keycloak must already be running)."""
    serve_app(host, port)


def serve_app(host: str, port: int) -> None:
    from lrs_keycloak.web import create_app

    # The poller catches what the webhook missed while the app was down (issue 5).
    app = create_app({"LRS_POLL_SECONDS": 15})
    click.echo(f"Companion app at http://{host}:{port}/ (Ctrl-C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
