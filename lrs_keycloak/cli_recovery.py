"""`lrs-keycloak recovery …`: the help desk recovers a lost Super User (guide §10.2).

The operator runs these with the admin credentials *as a named help desk agent* (``--agent``):
the agent must exist in the realm, be active and hold the realm role ``lrs-helpdesk``, and is
the actor of every audit event — so the rules that depend on who acts (the agent who raised a
case never records its approval) hold here as in the API. Exit codes: 0 done, 1 error, 3
refused by a rule (each violation's message and rule are printed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import yaml

from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.recovery import NewSuperUserForm
from lrs_keycloak.services.recovery import MailFailed, Outcome, RecoveryService, states
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible

EXIT_ERROR = 1


@contextmanager
def _boundary() -> Iterator[None]:
    """The CLI's error boundary (cli._errors) plus the recovery service's own refusals."""
    from lrs_keycloak.cli import _errors  # at call time: cli imports this module

    with _errors():
        try:
            yield
        except (NotVisible, NotPermitted, MailFailed) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


def _service(realm: str | None) -> RecoveryService:
    from lrs_keycloak.config import load_policy
    from lrs_keycloak.keycloak.contacts import OrganisationContacts
    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.keycloak.users import UserDirectory
    from lrs_keycloak.services.recovery import ApprovalLinks, SmtpMailer, secret_key
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.settings import config_dir, keycloak_settings
    from lrs_keycloak.store.audit import AuditLog
    from lrs_keycloak.store.db import make_engine
    from lrs_keycloak.store.recovery import RecoveryStore

    policy = load_policy(config_dir(), realm=realm)
    gateway = KeycloakGateway(keycloak_settings(policy.realm))
    engine = make_engine()
    return RecoveryService(
        UserAdmin(UserDirectory(gateway), AuditLog(engine), policy),
        RecoveryStore(engine),
        OrganisationContacts(gateway),
        SmtpMailer(),
        ApprovalLinks(secret_key()),
        os.environ.get("LRS_PUBLIC_URL") or "http://127.0.0.1:5000",
    )


def _agent(service: RecoveryService, name: str) -> Actor:
    from lrs_keycloak.services.recovery import helpdesk_agent

    return helpdesk_agent(service.admin, name)


def _print_case(case: dict[str, Any]) -> None:
    form = case["form"]
    if form is None:
        click.echo(
            f"Case {case['id']}  {case['state']}  {case['organisation_id']}  no form yet  "
            f"raised by {case['raised_by']} at {case['created_at']}"
        )
        if case["state"] == "awaiting_form":
            click.echo(
                "  the organisation has lost its last active super user; waiting for its senior "
                "manager's New Super User Form: record it with "
                f"`lrs-keycloak recovery record-form {case['id']} --form FILE --agent …`"
            )
        if case.get("close_reason"):
            click.echo(f"  closed by {case['closed_by']}: {case['close_reason']}")
        return
    click.echo(
        f"Case {case['id']}  {case['state']}  {case['organisation_id']}  form "
        f"{form['form_reference']}  raised by {case['raised_by']} at {case['created_at']}"
    )
    if case.get("form_recorded_by") and case["form_recorded_by"] != case["raised_by"]:
        click.echo(f"  form recorded by {case['form_recorded_by']} at {case['form_recorded_at']}")
    click.echo(
        f"  nominee: {form['nominee_title']} {form['nominee_given_name']} "
        f"{form['nominee_family_name']} <{form['nominee_email']}>"
    )
    click.echo(
        f"  senior manager: {form['manager_name']}, {form['manager_job_title']} "
        f"<{form['manager_email']}> (signed the Organisation Agreement: "
        f"{'yes' if form['manager_signed_agreement'] else 'no'})"
    )
    link = case.get("approval_link")
    if link:
        click.echo(f"  approval link sent to {link['sent_to']}, expires {link['expires_at']}")
    decision = case.get("decision")
    if decision:
        verb = "approved" if decision["approved"] else "rejected"
        extra = f" from {decision['ip']}" if decision.get("ip") else ""
        ref = f" (scan {decision['reference']})" if decision.get("reference") else ""
        click.echo(f"  {verb} {decision['method']} by {decision['by']} at {decision['at']}"
                   f"{extra}{ref}")  # fmt: skip
    if case.get("super_user"):
        click.echo(f"  super user created: {case['super_user']} by {case['completed_by']}")
    if case.get("close_reason"):
        click.echo(f"  closed by {case['closed_by']}: {case['close_reason']}")


def _print(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outcome.as_dict(), indent=2))
        return
    _print_case(outcome.case)
    if outcome.user:
        click.echo(
            f"Created super user {outcome.user['username']}; a set-password email went to "
            f"{outcome.user.get('email')}."
        )
    for w in outcome.warnings:
        click.echo(f"Warning: {w.message} ({w.rule})", err=True)


_agent_option = click.option(
    "--agent", required=True, help="The help desk agent acting (realm role lrs-helpdesk)."
)
_realm_option = click.option("--realm", default=None)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
def recovery() -> None:
    """The help desk recovers a lost Super User from a New Super User Form (guide §10.2)."""


_form_option = click.option(
    "--form",
    "form_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The form's content as YAML or JSON (fields as in the API's POST body).",
)
_no_link_option = click.option(
    "--no-link", is_flag=True, help="Do not email the approval link (paper approval)."
)


def _load_form(form_file: Path) -> NewSuperUserForm:
    data = yaml.safe_load(form_file.read_text())
    if not isinstance(data, dict):
        raise click.UsageError(f"{form_file} must hold a mapping of the form's fields")
    return NewSuperUserForm.from_dict(data)


@recovery.command("open")
@_form_option
@_no_link_option
@_agent_option
@_realm_option
@_json_option
def recovery_open(
    form_file: Path, no_link: bool, agent: str, realm: str | None, as_json: bool
) -> None:
    """Open a case; by default the senior manager is emailed a single-use approval link.

    If the organisation's case already awaits its form (opened when it lost its last active
    super user), the form is recorded on that case instead, and a warning names it.
    """
    with _boundary():
        form = _load_form(form_file)
        service = _service(realm)
        outcome = service.open(_agent(service, agent), form, send_link=not no_link)
        _print(outcome, as_json)


@recovery.command("record-form")
@click.argument("case_id", type=int)
@_form_option
@_no_link_option
@_agent_option
@_realm_option
@_json_option
def recovery_record_form(
    case_id: int, form_file: Path, no_link: bool, agent: str, realm: str | None, as_json: bool
) -> None:
    """Record the New Super User Form on a case awaiting it (checked as `open` checks it)."""
    with _boundary():
        form = _load_form(form_file)
        service = _service(realm)
        outcome = service.record_form(_agent(service, agent), case_id, form, send_link=not no_link)
        _print(outcome, as_json)


@recovery.command("list")
@click.option("--state", type=click.Choice(list(states())), default=None)
@click.option("--org", "org_id", default=None)
@_agent_option
@_realm_option
@_json_option
def recovery_list(
    state: str | None, org_id: str | None, agent: str, realm: str | None, as_json: bool
) -> None:
    """Cases, newest first (links past their expiry are marked expired first)."""
    with _boundary():
        service = _service(realm)
        cases = service.list_cases(_agent(service, agent), state=state, organisation_id=org_id)
        if as_json:
            click.echo(json.dumps(cases, indent=2))
            return
        if not cases:
            click.echo("No recovery cases.")
        for c in cases:
            reference = c["form"]["form_reference"] if c["form"] else "(no form yet)"
            click.echo(
                f"{c['id']:>6}  {c['state']:<18} {c['organisation_id']:<30} "
                f"{reference:<16} {c['created_at']}"
            )


@recovery.command("show")
@click.argument("case_id", type=int)
@_agent_option
@_realm_option
@_json_option
def recovery_show(case_id: int, agent: str, realm: str | None, as_json: bool) -> None:
    """One case with its audit trail."""
    with _boundary():
        service = _service(realm)
        case = service.show(_agent(service, agent), case_id)
        if as_json:
            click.echo(json.dumps(case, indent=2))
            return
        _print_case(case)
        for e in case["audit"]:
            click.echo(f"  {e['at']}  {e['action']:<24} {e['actor']}")


@recovery.command("approve")
@click.argument("case_id", type=int)
@click.option("--scan-reference", required=True, help="Reference of the scanned signed form.")
@_agent_option
@_realm_option
@_json_option
def recovery_approve(
    case_id: int, scan_reference: str, agent: str, realm: str | None, as_json: bool
) -> None:
    """Record the senior manager's approval received on paper (a second agent only)."""
    with _boundary():
        service = _service(realm)
        _print(service.record_paper_approval(_agent(service, agent), case_id, scan_reference),
               as_json)  # fmt: skip


@recovery.command("send-link")
@click.argument("case_id", type=int)
@_agent_option
@_realm_option
@_json_option
def recovery_send_link(case_id: int, agent: str, realm: str | None, as_json: bool) -> None:
    """Email the senior manager a new approval link (the previous one stops working)."""
    with _boundary():
        service = _service(realm)
        _print(service.send_link(_agent(service, agent), case_id), as_json)


@recovery.command("complete")
@click.argument("case_id", type=int)
@_agent_option
@_realm_option
@_json_option
def recovery_complete(case_id: int, agent: str, realm: str | None, as_json: bool) -> None:
    """Create the new super user for an approved case (refused if a super user is back)."""
    with _boundary():
        service = _service(realm)
        _print(service.complete(_agent(service, agent), case_id), as_json)


@recovery.command("cancel")
@click.argument("case_id", type=int)
@click.option("--reason", required=True)
@_agent_option
@_realm_option
@_json_option
def recovery_cancel(
    case_id: int, reason: str, agent: str, realm: str | None, as_json: bool
) -> None:
    """Close a case without creating a super user."""
    with _boundary():
        service = _service(realm)
        _print(service.cancel(_agent(service, agent), case_id, reason), as_json)


@recovery.command("organisation")
@click.argument("org_id")
@_agent_option
@_realm_option
def recovery_organisation(org_id: str, agent: str, realm: str | None) -> None:
    """The organisation as the help desk sees it: super users, primary contact, counts."""
    with _boundary():
        service = _service(realm)
        click.echo(json.dumps(service.organisation_view(_agent(service, agent), org_id), indent=2))


__all__ = ["recovery"]
