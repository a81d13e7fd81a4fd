"""`lrs-keycloak recovery …`: the help desk recovers a lost Super User (guide §10.2).

The agent acting is the person whose Keycloak credentials the CLI uses (``LRS_ADMIN_REALM`` set
to the LRS realm, ``LRS_ADMIN_USERNAME``/``LRS_ADMIN_PASSWORD`` theirs): they must be active and
hold the realm role ``lrs-helpdesk``, and are the actor of every audit event — so the rules that
depend on who acts (the agent who raised a case never approves nor completes it) hold here as in
the API. Naming an agent with ``--agent`` is accepted only by the local development server,
where the credentials are the bootstrap admin's. Exit codes: 0 done, 1 error, 3 refused by a
rule (each violation's message and rule are printed), 4 usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import yaml

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.recovery import NewSuperUserForm
from lrs_keycloak.services.recovery import MailFailed, Outcome, RecoveryService, states
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible


@contextmanager
def _boundary() -> Iterator[None]:
    """The CLI's error boundary (cli.errors) plus the recovery service's own refusals."""
    with error_boundary():
        try:
            yield
        except (NotVisible, NotPermitted, MailFailed) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


def acting_agent(
    declared: str | None, owner: tuple[str, str] | None, realm: str, local_development: bool
) -> str:
    """Who acts: the owner of the CLI's credentials when they are a person of the LRS realm;
    a declared ``--agent`` only on the local development server (issue 9 §1: nobody may name
    any agent). Raises ``click.UsageError`` saying how to act otherwise."""
    if owner is not None and owner[0] == realm and not owner[1].startswith("service-account-"):
        if declared and declared.casefold() != owner[1].casefold():
            raise click.UsageError(
                f"--agent {declared} names someone else: these credentials are {owner[1]}'s, "
                "and the help desk acts only as themselves."
            )
        return owner[1]
    if declared and local_development:
        return declared
    if declared:
        raise click.UsageError(
            "--agent is accepted only by the local development server. On this Keycloak the "
            f"help desk acts with their own credentials: LRS_ADMIN_REALM={realm}, "
            "LRS_ADMIN_USERNAME and LRS_ADMIN_PASSWORD set to yours."
        )
    raise click.UsageError(
        f"These credentials belong to no help desk agent of realm {realm}: set LRS_ADMIN_REALM="
        f"{realm} and LRS_ADMIN_USERNAME/LRS_ADMIN_PASSWORD to yours"
        + (
            ", or name a test agent with --agent (local development server only)."
            if local_development
            else "."
        )
    )


def _desk(realm: str | None, agent: str | None) -> tuple[RecoveryService, Actor]:
    """The recovery service, and the help desk agent acting (see ``acting_agent``)."""
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.recovery import helpdesk_agent

    root = Root(realm=realm)
    service, gateway = root.recovery(), root.gateway()
    name = acting_agent(
        agent, gateway.credentials_owner(), gateway.realm, gateway.settings.is_local_default
    )
    return service, helpdesk_agent(service.admin, name)


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
    "--agent",
    default=None,
    help="Local development server only: the help desk agent to act as (realm role "
    "lrs-helpdesk). Elsewhere the agent is the owner of the CLI's credentials.",
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
    try:
        data = yaml.safe_load(form_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise click.UsageError(f"{form_file} is not a YAML or JSON form: {error}") from None
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
    form_file: Path, no_link: bool, agent: str | None, realm: str | None, as_json: bool
) -> None:
    """Open a case; by default the senior manager is emailed a single-use approval link.

    If the organisation's case already awaits its form (opened when it lost its last active
    super user), the form is recorded on that case instead, and a warning names it.
    """
    with _boundary():
        form = _load_form(form_file)
        service, acting = _desk(realm, agent)
        outcome = service.open(acting, form, send_link=not no_link)
        _print(outcome, as_json)


@recovery.command("record-form")
@click.argument("case_id", type=int)
@_form_option
@_no_link_option
@_agent_option
@_realm_option
@_json_option
def recovery_record_form(
    case_id: int,
    form_file: Path,
    no_link: bool,
    agent: str | None,
    realm: str | None,
    as_json: bool,
) -> None:
    """Record the New Super User Form on a case awaiting it (checked as `open` checks it)."""
    with _boundary():
        form = _load_form(form_file)
        service, acting = _desk(realm, agent)
        outcome = service.record_form(acting, case_id, form, send_link=not no_link)
        _print(outcome, as_json)


@recovery.command("list")
@click.option("--state", type=click.Choice(list(states())), default=None)
@click.option("--org", "org_id", default=None)
@_agent_option
@_realm_option
@_json_option
def recovery_list(
    state: str | None, org_id: str | None, agent: str | None, realm: str | None, as_json: bool
) -> None:
    """Cases, newest first (links past their expiry are marked expired first)."""
    with _boundary():
        service, acting = _desk(realm, agent)
        cases = service.list_cases(acting, state=state, organisation_id=org_id)
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
def recovery_show(case_id: int, agent: str | None, realm: str | None, as_json: bool) -> None:
    """One case with its audit trail."""
    with _boundary():
        service, acting = _desk(realm, agent)
        case = service.show(acting, case_id)
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
    case_id: int, scan_reference: str, agent: str | None, realm: str | None, as_json: bool
) -> None:
    """Record the senior manager's approval received on paper (a second agent only)."""
    with _boundary():
        service, acting = _desk(realm, agent)
        _print(service.record_paper_approval(acting, case_id, scan_reference),
               as_json)  # fmt: skip


@recovery.command("send-link")
@click.argument("case_id", type=int)
@_agent_option
@_realm_option
@_json_option
def recovery_send_link(case_id: int, agent: str | None, realm: str | None, as_json: bool) -> None:
    """Email the senior manager a new approval link (the previous one stops working)."""
    with _boundary():
        service, acting = _desk(realm, agent)
        _print(service.send_link(acting, case_id), as_json)


def _print_relied_on(relied_on: dict[str, Any]) -> None:
    nominee, manager, approval = relied_on["nominee"], relied_on["manager"], relied_on["approval"]
    if nominee:
        click.echo(f"  nominee: {nominee['name']} <{nominee['email']}> {nominee['telephone']}")
    if manager:
        click.echo(
            f"  approving senior manager: {manager['name']}, {manager['job_title']} "
            f"<{manager['email']}>"
        )
    if approval:
        how = (
            f"by link from {approval['ip']}"
            if approval["method"] == "link"
            else f"(scan {approval['reference']})"
        )
        verb = "approved" if approval["approved"] else "rejected"
        on = "on paper " if approval["method"] == "paper" else ""
        click.echo(f"  relying on: {verb} {on}by {approval['by']} at {approval['at']} {how}")
    else:
        click.echo("  relying on: no approval yet")


@recovery.command("complete")
@click.argument("case_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@_agent_option
@_realm_option
@_json_option
def recovery_complete(
    case_id: int, yes: bool, agent: str | None, realm: str | None, as_json: bool
) -> None:
    """Create the new super user for an approved case (a second agent; refused if a super user
    is back). Shows the nominee, the senior manager and the approval relied on first."""
    with _boundary():
        service, acting = _desk(realm, agent)
        if not as_json:
            case = service.prepare_completion(acting, case_id)
            click.echo(f"Completing case {case_id} for {case['organisation_id']}:")
            _print_relied_on(case["relied_on"])
            if not yes and not click.confirm("Create this super user?", default=False):
                click.echo("Nothing was changed.")
                return
        outcome = service.complete(acting, case_id)
        _print(outcome, as_json)
        if outcome.relied_on is not None and not as_json:
            _print_relied_on(outcome.relied_on)


@recovery.command("cancel")
@click.argument("case_id", type=int)
@click.option("--reason", required=True)
@_agent_option
@_realm_option
@_json_option
def recovery_cancel(
    case_id: int, reason: str, agent: str | None, realm: str | None, as_json: bool
) -> None:
    """Close a case without creating a super user."""
    with _boundary():
        service, acting = _desk(realm, agent)
        _print(service.cancel(acting, case_id, reason), as_json)


@recovery.command("signatory")
@click.argument("org_id")
@click.option("--name", required=True, help="The signatory's name, as on the agreement.")
@click.option("--email", required=True, help="The email address the organisation gave MIAP.")
@click.option("--job-title", default=None)
@click.option("--reason", default=None, help="Why it changes (required to replace one).")
@_agent_option
@_realm_option
@_json_option
def recovery_signatory(
    org_id: str,
    name: str,
    email: str,
    job_title: str | None,
    reason: str | None,
    agent: str | None,
    realm: str | None,
    as_json: bool,
) -> None:
    """Record the Organisation Agreement's signatory: the only address an approval link may go
    to (audited; a change needs a reason)."""
    from lrs_keycloak.domain.signatories import Signatory

    with _boundary():
        service, acting = _desk(realm, agent)
        answer = service.record_signatory(acting, org_id, Signatory(name, email, job_title), reason)
        if as_json:
            click.echo(json.dumps(answer, indent=2))
            return
        recorded = answer["signatory"]
        click.echo(
            f"Recorded {recorded['name']} <{recorded['email']}> as {org_id}'s Organisation "
            f"Agreement signatory (audit event {answer['event_id']})."
        )


@recovery.command("organisation")
@click.argument("org_id")
@_agent_option
@_realm_option
def recovery_organisation(org_id: str, agent: str | None, realm: str | None) -> None:
    """The organisation as the help desk sees it: super users, primary contact, counts."""
    with _boundary():
        service, acting = _desk(realm, agent)
        click.echo(json.dumps(service.organisation_view(acting, org_id), indent=2))


__all__ = ["recovery"]
