"""`lrs-keycloak reviews start|list|show|decide`: periodic access reviews (guide §8).

The policy's reviews (realm-config/lifecycle.yaml `reviews:`), their reminders and their
deadline are run by `lrs-keycloak lifecycle run`; these commands start one by hand, answer for
users and show the outcome: who confirmed what, and when.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.domain.reviews import Review
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator

_ACTOR = click.option(
    "--actor", default=None, help="Operator name for the audit log (default: OS user)."
)
_ORG = click.option("--org", "org_id", required=True, help="Organisation id.")
_REALM = click.option("--realm", default=None)
_JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@contextmanager
def _answering() -> Iterator[None]:
    """The error boundary, with a not-found or not-permitted organisation as a plain error."""
    with error_boundary():
        try:
            yield
        except (NotVisible, NotPermitted) as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_ERROR)


@click.group()
def reviews() -> None:
    """Periodic access reviews of an organisation's users (guide §8)."""


def _summary(r: Review) -> str:
    d = r.as_dict(with_items=False)
    return (
        f"review {r.id}: {d['status']}, started {d['started_at']} by {r.started_by}, "
        f"deadline {d['deadline']}, {d['unanswered']} of {d['users']} users unanswered"
    )


@reviews.command("start")
@_ORG
@_JSON
@_ACTOR
@_REALM
def start(org_id: str, as_json: bool, actor: str | None, realm: str | None) -> None:
    """Start a review: each member and their roles as they are now, to be answered for by the
    deadline (confirm, change roles, remove)."""
    from lrs_keycloak.composition import Root

    with _answering():
        review = Root(realm=realm).reviews().start(Operator(actor or getpass.getuser()), org_id)
        click.echo(json.dumps(review.as_dict(), indent=2) if as_json else _summary(review))


@reviews.command("list")
@_ORG
@_JSON
@_ACTOR
@_REALM
def list_(org_id: str, as_json: bool, actor: str | None, realm: str | None) -> None:
    """The organisation's reviews, newest first."""
    from lrs_keycloak.composition import Root

    with _answering():
        found = Root(realm=realm).reviews().reviews(Operator(actor or getpass.getuser()), org_id)
        if as_json:
            click.echo(json.dumps([r.as_dict(with_items=False) for r in found], indent=2))
            return
        for r in found:
            click.echo(_summary(r))
        if not found:
            click.echo(f"No review of {org_id} yet.")


@reviews.command("show")
@_ORG
@click.argument("review_id", type=int)
@_JSON
@_ACTOR
@_REALM
def show(org_id: str, review_id: int, as_json: bool, actor: str | None, realm: str | None) -> None:
    """A review's users: their roles at the start, the answer, who gave it and when."""
    from lrs_keycloak.composition import Root

    with _answering():
        review = (
            Root(realm=realm)
            .reviews()
            .show(Operator(actor or getpass.getuser()), org_id, review_id)
        )
        if as_json:
            click.echo(json.dumps(review.as_dict(), indent=2))
            return
        click.echo(_summary(review))
        for i in review.items:
            answer = "unanswered" if i.outcome is None else i.outcome
            if i.outcome == "change-roles":
                answer += f" to {','.join(i.new_roles)}"
            if i.decided_by:
                at = i.as_dict()["decided_at"]
                answer += f" by {i.decided_by} at {at}"
            note = f" ({i.note})" if i.note else ""
            click.echo(f"  {i.username} [{','.join(i.roles)}]: {answer}{note}")


@reviews.command("decide")
@_ORG
@click.argument("review_id", type=int)
@click.argument("username")
@click.option("--confirm", "decision", flag_value="confirm", help="Still needs these roles.")
@click.option("--change-roles", "decision", flag_value="change-roles", help="Give --role …")
@click.option("--remove", "decision", flag_value="remove", help="Remove the account.")
@click.option("--role", "roles", multiple=True, help="The new roles (with --change-roles).")
@click.option("--reference", default=None, help="The approval's reference (more access, §5).")
@click.option("--reason", default=None, help="Why (for the audit log).")
@_JSON
@_ACTOR
@_REALM
def decide(
    org_id: str,
    review_id: int,
    username: str,
    decision: str | None,
    roles: tuple[str, ...],
    reference: str | None,
    reason: str | None,
    as_json: bool,
    actor: str | None,
    realm: str | None,
) -> None:
    """Answer for one user of a review: --confirm, --change-roles --role R … or --remove."""
    from lrs_keycloak.composition import Root

    if decision is None:
        raise click.UsageError("give one of --confirm, --change-roles or --remove")
    with _answering():
        item = (
            Root(realm=realm)
            .reviews()
            .decide(
                Operator(actor or getpass.getuser()),
                org_id,
                review_id,
                username,
                decision,
                list(roles) or None,
                reference,
                reason,
            )
        )
        if as_json:
            click.echo(json.dumps(item.as_dict(), indent=2))
        else:
            click.echo(f"{username}: {item.outcome} (review {review_id}).")
