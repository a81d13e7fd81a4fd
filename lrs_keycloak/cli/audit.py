"""`lrs-keycloak audit`: catch up with admin-console changes and list what is flagged;
`lrs-keycloak audit report`: the audit of the user community (guide §8)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterable, Iterator

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.domain.audit_report import (
    COLUMNS,
    FORMATS,
    MAX_INACTIVE_DAYS,
    STATUSES,
    TERMINAL_COLUMNS,
    ReportFilter,
    ReportRow,
    table,
)
from lrs_keycloak.domain.csv_cells import csv_lines
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator


@click.group(invoke_without_command=True)
@click.option("--org", "org_id", default=None, help="Only this organisation's flags.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--realm", default=None)
@click.pass_context
def audit(ctx: click.Context, org_id: str | None, as_json: bool, realm: str | None) -> None:
    """Catch up with admin-console changes, then list what is flagged (guide §8 audit).

    `audit report` lists the users themselves, with their access and their last logon."""
    if ctx.invoked_subcommand is not None:
        return
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


@audit.command("report")
@click.option("--org", "org_id", default=None, help="One organisation (default: every one).")
@click.option("--role", default=None, help="Only users holding this LRS role.")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option(
    "--inactive-days",
    type=click.IntRange(1, MAX_INACTIVE_DAYS),
    default=None,
    help="Only users not logged on for this many days (never used: counted from creation).",
)
@click.option("--never-logged-on", is_flag=True, help="Only users who never logged on.")
@click.option(
    "--not-accepted", is_flag=True, help="Only users who have not accepted the current agreement."
)
@click.option("--format", "output", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--actor", default=None, help="Operator name for the audit log (default: OS user).")
@click.option("--realm", default=None)
def report(
    org_id: str | None,
    role: str | None,
    status: str | None,
    inactive_days: int | None,
    never_logged_on: bool,
    not_accepted: bool,
    output: str,
    actor: str | None,
    realm: str | None,
) -> None:
    """The audit of the user community (guide §8): every user with roles, status, created,
    last logon, agreement accepted, staff ID and open flags; CSV and JSON are streamed."""
    from lrs_keycloak.composition import Root

    flt = ReportFilter(role, status, inactive_days, never_logged_on, not_accepted)
    with error_boundary():
        root = Root(realm=realm)
        caller = Operator(actor or getpass.getuser())
        try:
            rows = root.user_admin().audit_report(caller, org_id, flt, root.enforcer().store)
        except (NotVisible, NotPermitted) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)
        if output == "csv":
            for line in csv_lines(table(rows)):
                click.echo(line, nl=False)
        elif output == "json":
            for chunk in _json_array(rows):
                click.echo(chunk, nl=False)
            click.echo()
        else:
            _print_table(list(table(rows)))


def _json_array(rows: Iterable[ReportRow]) -> Iterator[str]:
    """A JSON array written a row at a time, so nothing waits for the whole report."""
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n  " + json.dumps(row.as_dict())
    yield "\n]"


def _print_table(lines: list[list[str]]) -> None:
    shown = [COLUMNS.index(name) for name in TERMINAL_COLUMNS]
    head, body = lines[0], lines[1:]
    widths = [max(len(line[i]) for line in lines) for i in shown]
    for line in [head, *body]:
        click.echo("  ".join(line[i].ljust(w) for i, w in zip(shown, widths, strict=True)).rstrip())
    click.echo(f"{len(body)} users")
