"""`lrs-keycloak organisations …` and `lrs-keycloak users …`: the operator's user administration.

The operator acts with the admin credentials, as an ``Operator`` (named by ``--actor`` or the
OS user) in every audit event. Thin like the rest of the CLI: parse, call the ``UserAdmin``
use case, print. Exit codes: 0 done, 1 error, 3 refused by a rule (each violation's message
and the rule that refused it are printed), 4 usage error.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from lrs_keycloak import progress
from lrs_keycloak.cli.errors import EXIT_ERROR, EXIT_REFUSED, error_boundary
from lrs_keycloak.domain.audit_report import STATUSES
from lrs_keycloak.domain.bulk_import import COLUMNS as IMPORT_COLUMNS
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import DETAIL_FIELDS, DETAILS, UserDetails, check_lengths
from lrs_keycloak.services.errors import OrganisationBusy
from lrs_keycloak.services.user_admin import (
    ImportRefused,
    NotPermitted,
    NotVisible,
    Operator,
    Result,
    UserAdmin,
)

if TYPE_CHECKING:
    from lrs_keycloak.services.signatories import SignatoryBook

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _boundary(**texts: str | None) -> Iterator[None]:
    """The CLI's error boundary (cli.errors) plus the user-admin services' own refusals.

    ``texts`` are the command's free-text values: one longer than its field's maximum
    (domain.users.MAX_LENGTHS) is refused (exit 3) before anything is looked up or written.
    """
    with error_boundary():
        oversized = check_lengths(texts)
        if oversized:
            raise RuleViolation(oversized)
        try:
            yield
        except (NotVisible, NotPermitted, OrganisationBusy) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


def _service(realm: str | None) -> UserAdmin:
    from lrs_keycloak.composition import Root

    return Root(realm=realm).user_admin()


def _operator(actor: str | None) -> Operator:
    return Operator(actor or getpass.getuser())


def _print(result: Result, as_json: bool, headline: str) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    click.echo(headline)
    for w in result.warnings:
        click.echo(f"Warning: {w.message} ({w.rule})")


def _common(f: F) -> F:
    """--realm, --actor and --json, on every command."""
    f = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(f)
    f = click.option(
        "--actor", default=None, help="Operator name for the audit log (default: OS user)."
    )(f)
    f = click.option("--realm", default=None, help="Realm name (default: realm.yaml/LRS_REALM).")(f)
    return f


#: Shorter flags than the derived ``--verification-provided``/``--preferred-language``, kept
#: because scripts and the README use them (the derived names work too).
_SHORT_FLAGS = {"verification_provided": "--verification", "preferred_language": "--language"}


def _details(f: F, required: bool) -> F:
    """The person's details (guide §4.2) as options, one per field of the domain's declaration.

    Click does not refuse a missing required detail itself: the domain does, so the CLI gives
    the same answer (field, code, message, rule) as the API and a form file."""
    for field in reversed(DETAIL_FIELDS):
        flags = [_SHORT_FLAGS[field.name]] if field.name in _SHORT_FLAGS else []
        flags.append("--" + field.name.replace("_", "-"))
        text = field.description + (" Required." if required and field.required else "")
        f = click.option(*flags, field.name, default=None, help=text)(f)
    return f


def _details_required(f: F) -> F:
    return _details(f, required=True)


def _details_optional(f: F) -> F:
    return _details(f, required=False)


def _user_details(values: dict[str, str | None]) -> UserDetails:
    """The details given; a required one left out is blank, for the domain to refuse by name."""
    given = {f.name: values.get(f.name) for f in DETAIL_FIELDS}
    return UserDetails(
        **{
            name: value if value is not None else ""
            for name, value in given.items()
            if value is not None or DETAILS[name].required
        }
    )


# --- organisations ------------------------------------------------------------------------------


@click.group()
def organisations() -> None:
    """Registered organisations (the operator's job at sign-up, guide §1.1)."""


@organisations.command("register")
@click.option("--id", "org_id", required=True, help="Organisation id, e.g. riverside-college.")
@click.option("--name", required=True, help="The organisation's registered name.")
@click.option("--kind", required=True, help="Its kind (realm-config/roles.yaml), e.g. college.")
@click.option(
    "--entitlement", "entitlements", multiple=True, help="An approved entitlement (repeatable)."
)
@click.option(
    "--signatory-name",
    default=None,
    help="Who signed the Organisation Agreement: the only person a recovery approval link may "
    "go to (guide §10.2).",
)
@click.option("--signatory-email", default=None, help="The signatory's email, as given to MIAP.")
@click.option("--signatory-job-title", default=None, help="The signatory's job title.")
@_details_required
@_common
def organisations_register(
    org_id: str,
    name: str,
    kind: str,
    entitlements: tuple[str, ...],
    signatory_name: str | None,
    signatory_email: str | None,
    signatory_job_title: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
    **details: str | None,
) -> None:
    """Register an organisation with its initial Super User (who gets the set-password email)
    and, from the signed Organisation Agreement, its signatory."""
    from lrs_keycloak.domain.signatories import (
        Signatory,
        no_signatory_warning,
        validate_signatory,
    )

    with _boundary(**details):
        signatory = None
        if signatory_name is not None or signatory_email is not None:
            signatory = Signatory(signatory_name or "", signatory_email or "", signatory_job_title)
            problems = validate_signatory(signatory, prefix="signatory_")
            if problems:  # refused before anything is made
                raise RuleViolation(problems)
        org = Organisation(org_id, name, kind, frozenset(entitlements))
        admin = _service(realm)
        operator = _operator(actor)
        result = admin.register_organisation(operator, org, _user_details(details))
        if signatory is None:
            result.warnings.append(no_signatory_warning(org_id))
        else:
            _signatories(admin).record(operator.username, org_id, signatory, registering=True)
        username = (result.user or {}).get("username")
        _print(result, as_json, f"Registered {org_id} ({name}); its Super User is {username}.")


@organisations.command("primary-contact")
@click.option("--org", "org_id", required=True, help="Organisation id.")
@click.argument("username")
@click.option(
    "--reason", required=True, help="Why, for the audit log (e.g. the organisation's email)."
)
@_common
def organisations_primary_contact(
    org_id: str, username: str, reason: str, realm: str | None, actor: str | None, as_json: bool
) -> None:
    """Record the organisation's new primary contact point (guide §9: "tell the MIAP Help Desk
    of a change in your primary contact point"): an active account of the organisation. The
    help desk's step outside a recovery; the audit log keeps the previous one and the reason."""
    with _boundary(reason=reason):
        result = _service(realm).change_primary_contact(_operator(actor), org_id, username, reason)
        previous = result.event.details.get("previous") if result.event else None
        _print(
            result,
            as_json,
            f"{username} is now the primary contact of {org_id} (before: {previous or 'none'}).",
        )


def _signatories(admin: UserAdmin) -> SignatoryBook:
    from lrs_keycloak.composition import build_signatories

    return build_signatories(admin.audit.engine, admin)


# --- users --------------------------------------------------------------------------------------


@click.group()
def users() -> None:
    """An organisation's user accounts (guide §4-§8)."""


_org = click.option("--org", "org_id", required=True, help="Organisation id.")


@users.command("create")
@_org
@click.option("--role", "roles", multiple=True, help="An LRS role (repeatable; at least one).")
@click.option("--reference", default=None, help="Authorisation reference for the audit log.")
@_details_required
@_common
def users_create(
    org_id: str,
    roles: tuple[str, ...],
    reference: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
    **details: str | None,
) -> None:
    """Create a named person's account; the username is generated from their names.

    Run again for the same person (same names and email or staff ID) it creates nothing and
    names the account they already have, so a retry never makes a second account.
    """
    with _boundary(reference=reference, **details):
        result = _service(realm).create_user(
            _operator(actor), org_id, _user_details(details), list(roles), reference
        )
        user = result.user or {}
        done = "Already there:" if result.existing else "Created"
        _print(
            result,
            as_json,
            f"{done} {user.get('username')} in {org_id} with {', '.join(user.get('roles', []))}.",
        )


IMPORT_HELP = f"""Onboard the people of a CSV file (guide §2.1), each through the rules of
`users create`.

Columns: {", ".join(IMPORT_COLUMNS)} (roles separated by spaces or semicolons; each person
needs an email address or a staff ID). Every row is checked first: one bad row and nothing is
written, every problem listed (row, field, reason), unless --skip-invalid. Run again, the same
file creates no duplicates (people are matched by names and email or staff ID), so an
interrupted run is completed by running it again."""


@users.command("import", help=IMPORT_HELP)
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@_org
@click.option("--reference", default=None, help="Authorisation reference for the audit log.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the others.")
@_common
def users_import(
    file: TextIO,
    org_id: str,
    reference: str | None,
    skip_invalid: bool,
    realm: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    with _boundary(reference=reference):
        try:
            with progress.counted(f"Importing into {org_id}") as advance:
                report = _service(realm).import_users(
                    _operator(actor), org_id, file.read(), reference, skip_invalid, advance
                )
        except ImportRefused as refused:
            for p in refused.problems:
                where = f"row {p.row}" if p.row else "file"
                field = f", field {p.violation.field}" if p.violation.field else ""
                click.echo(
                    f"Refused: {where}{field}: {p.violation.message} ({p.violation.rule})", err=True
                )
            click.echo(f"{len(refused.problems)} problems; nothing was imported.", err=True)
            sys.exit(EXIT_REFUSED)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
            return
        for o in report.outcomes:
            click.echo(f"  row {o.row}: {o.outcome} {o.username or ''}".rstrip())
        for p in report.skipped:
            click.echo(f"  row {p.row}: skipped, {p.violation.field}: {p.violation.message}")
        click.echo(
            f"{report.count('created')} created, {report.count('existing')} already there, "
            f"{report.count('refused')} refused, {len({p.row for p in report.skipped})} skipped."
        )
        for w in report.warnings:
            click.echo(f"Warning: {w.message} ({w.rule})")


@users.command("update")
@_org
@click.argument("username")
@click.option("--reference", default=None, help="Reference for the audit log.")
@_details_optional
@_common
def users_update(
    org_id: str,
    username: str,
    reference: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
    **details: str | None,
) -> None:
    """Change the details given (an empty value clears an optional one)."""
    changes = {k: v for k, v in details.items() if v is not None}
    if not changes:
        raise click.UsageError("Give at least one detail to change, e.g. --telephone.")
    with _boundary(reference=reference, **changes):
        result = _service(realm).update_details(
            _operator(actor), org_id, username, changes, reference
        )
        _print(result, as_json, f"Updated {username}: {', '.join(sorted(changes))}.")


@users.command("roles")
@_org
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="The user's roles from now on (repeatable).")
@click.option("--reference", default=None, help="Who authorised it (required for more access).")
@_common
def users_roles(
    org_id: str,
    username: str,
    roles: tuple[str, ...],
    reference: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Replace the user's roles (guide §5)."""
    with _boundary(reference=reference):
        result = _service(realm).change_roles(
            _operator(actor), org_id, username, list(roles), reference
        )
        _print(result, as_json, f"{username} now has {', '.join(sorted(roles))}.")


@users.command("suspend")
@_org
@click.argument("username")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@_common
def users_suspend(
    org_id: str, username: str, reason: str, realm: str | None, actor: str | None, as_json: bool
) -> None:
    """Disable the account and end its sessions at once (guide §6)."""
    with _boundary(reason=reason):
        result = _service(realm).suspend(_operator(actor), org_id, username, reason)
        _print(result, as_json, f"Suspended {username}; their sessions have ended.")


@users.command("reinstate")
@_org
@click.argument("username")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@_common
def users_reinstate(
    org_id: str, username: str, reason: str, realm: str | None, actor: str | None, as_json: bool
) -> None:
    """Re-enable the account and clear a lock (guide §6.1)."""
    with _boundary(reason=reason):
        result = _service(realm).reinstate(_operator(actor), org_id, username, reason)
        _print(result, as_json, f"Reinstated {username}.")


@users.command("reset-second-factor")
@_org
@click.argument("username")
@click.option("--reason", required=True, help="How the person was checked; kept in the audit log.")
@_common
def users_reset_second_factor(
    org_id: str, username: str, reason: str, realm: str | None, actor: str | None, as_json: bool
) -> None:
    """Delete a lost authenticator app and end the user's sessions (docs/adr/0015)."""
    with _boundary(reason=reason):
        result = _service(realm).reset_second_factor(_operator(actor), org_id, username, reason)
        _print(
            result,
            as_json,
            f"Reset {username}'s second factor: they set up a new authenticator app at their "
            "next sign-in.",
        )


@users.command("remove")
@_org
@click.argument("username")
@click.option("--reason", default=None, help="Why; kept in the audit log.")
@_common
def users_remove(
    org_id: str,
    username: str,
    reason: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Delete the account from Keycloak (guide §7); its audit trail stays."""
    with _boundary(reason=reason):
        result = _service(realm).remove(_operator(actor), org_id, username, reason)
        _print(result, as_json, f"Removed {username} from {org_id}.")


@users.command("list")
@_org
@click.option("--search", default=None, help="Part of a name, username, email or staff ID.")
@click.option("--role", default=None, help="Only users holding this role.")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@_common
def users_list(
    org_id: str,
    search: str | None,
    role: str | None,
    status: str | None,
    realm: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """The organisation's users with roles and status (guide §8)."""
    with _boundary():
        result = _service(realm).list_users(
            _operator(actor), org_id, search=search, role=role, status=status
        )
        rows = result.users or []
        if as_json:
            _print(result, True, "")
            return
        click.echo(f"{org_id}: {len(rows)} users")
        for u in rows:
            click.echo(
                f"  {u['username']:<28} {u['status']:<10} {', '.join(u['roles']):<40} "
                f"{u.get('email') or '-'}"
            )
        for w in result.warnings:
            click.echo(f"Warning: {w.message} ({w.rule})")
