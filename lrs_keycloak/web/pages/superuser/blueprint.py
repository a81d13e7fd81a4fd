"""The super user's blueprint and what its pages share: the service, the signed-in person as
the service's caller, refusals turned into a form's errors, and a journey's answers kept
between its pages.

Every read and change goes through ``UserAdmin`` with the person's ``Actor`` built exactly as
the JSON API builds it from a token (``UserAdmin.actor`` with the Keycloak user id), so the
rules, audit events and refusals are the API's. The guard ``super_user_of_org`` has already
turned away anyone who is not a super user of the organisation (404); the service checks again
against Keycloak as it is now (a super user demoted since signing in is refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Blueprint, abort, current_app, g, session
from werkzeug.exceptions import Forbidden, NotFound

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, UserAdmin
from lrs_keycloak.web import context
from lrs_keycloak.web.signin.guards import current_person

bp = Blueprint("superuser", __name__, url_prefix="/organisations/<org>")

#: The session's key for the answers of the journey in progress (one at a time).
JOURNEY = "lrs_superuser_journey"
#: The session's key for what a finished journey's confirmation page shows.
DONE = "lrs_superuser_done"


# The app's own 404 and 403 pages (an exception raised in an error handler is not handled).
@bp.errorhandler(NotVisible)
def _not_visible(error: NotVisible) -> Any:
    return current_app.handle_http_exception(NotFound())


@bp.errorhandler(NotPermitted)
def _not_permitted(error: NotPermitted) -> Any:
    return current_app.handle_http_exception(Forbidden())


def admin() -> UserAdmin:
    return context.user_admin(current_app._get_current_object())  # type: ignore[attr-defined]


def caller() -> Actor:
    """The signed-in person as the service's Actor: as ``web.api`` builds it from a token's
    ``preferred_username`` and ``sub``. Gone from Keycloak (or the name now another account's):
    nothing to show, 404."""
    if "lrs_superuser_actor" not in g:  # once per request: it asks Keycloak
        person = current_person()
        if person is None:
            abort(404)
        g.lrs_superuser_actor = admin().actor(person.username, subject=person.user_id)
    found: Actor | None = g.lrs_superuser_actor
    if found is None:
        abort(404)
    return found


def field_errors(
    violations: Iterable[Violation], fields: Sequence[str], fallback: str | None = None
) -> dict[str, str]:
    """A form's errors, field name -> message, in the form's order of ``fields``: what the
    error summary links to each field. A refusal of no field on this form (the whole request,
    or the username) goes to ``fallback`` (the form's first field unless given)."""
    found: dict[str, list[str]] = {}
    for v in violations:
        name = v.field if v.field in fields else (fallback or fields[0])
        found.setdefault(name, []).append(v.message)
    ordered = [f for f in fields if f in found] + [f for f in found if f not in fields]
    return {name: " ".join(found[name]) for name in ordered}


def save_answers(kind: str, org: str, username: str | None, answers: dict[str, Any]) -> None:
    session[JOURNEY] = {"kind": kind, "org": org, "username": username, "answers": answers}


def answers(kind: str, org: str, username: str | None = None) -> dict[str, Any] | None:
    """This journey's answers so far, or None (another journey, organisation or user)."""
    saved = session.get(JOURNEY)
    if not isinstance(saved, dict):
        return None
    if (saved.get("kind"), saved.get("org"), saved.get("username")) != (kind, org, username):
        return None
    found: dict[str, Any] = saved.get("answers") or {}
    return found


def finish(kind: str, org: str, shown: dict[str, Any]) -> None:
    """End the journey; its confirmation page shows ``shown`` once."""
    session.pop(JOURNEY, None)
    session[DONE] = {"kind": kind, "org": org, **shown}


def finished(kind: str, org: str) -> dict[str, Any] | None:
    done = session.get(DONE)
    if isinstance(done, dict) and (done.get("kind"), done.get("org")) == (kind, org):
        return done
    return None
