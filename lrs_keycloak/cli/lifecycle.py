"""`lrs-keycloak lifecycle run`: end dates and inactivity (guide §2.1, §7, §8), safe to run from
cron or the worker every few minutes; and `lrs-keycloak users end-date`."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from typing import TextIO

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator


@click.group()
def lifecycle() -> None:
    """Keeping the user community current (realm-config/lifecycle.yaml)."""


@lifecycle.command("run")
@click.option("--org", "org_id", default=None, help="One organisation (default: every one).")
@click.option("--dry-run", is_flag=True, help="Show what it would do; change and send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--realm", default=None)
def run(org_id: str | None, dry_run: bool, as_json: bool, realm: str | None) -> None:
    """Suspend accounts past their end date or unused past the policy's limit (telling their
    organisation's super users), and warn unused ones first. Idempotent."""
    from lrs_keycloak.composition import Root

    with error_boundary():
        try:
            actions = Root(realm=realm).lifecycle().run(org_id, dry_run=dry_run)
        except NotVisible as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)
        if as_json:
            click.echo(json.dumps([a.as_dict() for a in actions], indent=2))
            return
        for a in actions:
            state = "done" if a.done else f"not done ({a.note})"
            click.echo(f"  {a.organisation_id} {a.username}: {a.step}, {state}. {a.reason}")
        if dry_run:
            click.echo(f"{len(actions)} steps would be taken (dry run: nothing changed or sent).")
        else:
            click.echo(f"{sum(a.done for a in actions)} of {len(actions)} steps taken.")


@click.command("end-date")
@click.option("--org", "org_id", required=True, help="Organisation id.")
@click.argument("username")
@click.option("--date", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
@click.option("--clear", is_flag=True, help="Take the end date off.")
@click.option("--reason", required=True, help="Why (for the audit log), e.g. the contract.")
@click.option("--actor", default=None, help="Operator name for the audit log (default: OS user).")
@click.option("--realm", default=None)
def end_date(
    org_id: str,
    username: str,
    end: datetime | None,
    clear: bool,
    reason: str,
    actor: str | None,
    realm: str | None,
) -> None:
    """Give an account an end date (contract or temporary staff, guide §4.1): on that date
    `lifecycle run` suspends it and tells the organisation's super users."""
    from lrs_keycloak.composition import Root

    if (end is None) == (not clear):
        raise click.UsageError("give either --date YYYY-MM-DD or --clear")
    caller = Operator(actor or getpass.getuser())
    with error_boundary():
        service = Root(realm=realm).lifecycle()
        try:
            if clear:
                done = service.clear_end_date(caller, org_id, username, reason)
                click.echo(f"End date of {username} taken off." if done else "It had none.")
            else:
                assert end is not None  # checked above
                service.set_end_date(caller, org_id, username, end.date(), reason)
                click.echo(f"{username} ends on {end.date().isoformat()}.")
        except (NotVisible, NotPermitted) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


@click.command("leavers")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--org", "org_id", required=True, help="Organisation id.")
@click.option(
    "--reason", default="left the organisation", show_default=True, help="When a row gives none."
)
@click.option("--dry-run", is_flag=True, help="Show which accounts match; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--actor", default=None, help="Operator name for the audit log (default: OS user).")
@click.option("--realm", default=None)
def leavers(
    file: TextIO,
    org_id: str,
    reason: str,
    dry_run: bool,
    as_json: bool,
    actor: str | None,
    realm: str | None,
) -> None:
    """The accounts of people who left (guide §2.1, §7): a CSV of their staff IDs (columns
    staff_id and, optionally, reason), removed or suspended as realm-config/lifecycle.yaml
    `leavers.action` says, each audited; staff IDs that match no account are listed."""
    from lrs_keycloak.composition import Root

    caller = Operator(actor or getpass.getuser())
    with error_boundary():
        try:
            report = (
                Root(realm=realm)
                .lifecycle()
                .leavers(caller, org_id, file.read(), reason, dry_run=dry_run)
            )
        except (NotVisible, NotPermitted) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
            return
        for o in report.outcomes:
            state = "done" if o.done else f"not done ({o.note})"
            click.echo(f"  {o.username}: {o.action}, {state}")
        for staff_id in report.unmatched:
            click.echo(f"  staff ID {staff_id}: no account in {org_id}")
        done = sum(o.done for o in report.outcomes)
        click.echo(
            f"{done} accounts {report.action}d; {len(report.unmatched)} staff IDs matched none."
        )
