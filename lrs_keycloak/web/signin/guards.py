"""Who may see a page: each guard marks the view (``view.lrs_guard``) so that the permission
matrix test can find a page that declares none.

- `signed_in`: anyone signed in; otherwise a redirect to ``/sign-in?next=<this page>``.
- `super_user_of_org`: the view's ``org`` URL parameter names an organisation the person is
  an active super user of; otherwise 404, as if it did not exist (guide §10.1: an organisation
  is invisible to other organisations' super users), never its data.
- `helpdesk_agent`: the realm role ``lrs-helpdesk``; otherwise 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, redirect, request, session, url_for

from lrs_keycloak.web.people import Person

F = TypeVar("F", bound=Callable[..., Any])

#: The session's key for the signed-in record (`web.signin.session`).
SESSION_KEY = "lrs"
#: The names a view's ``lrs_guard`` may take.
GUARDS = ("public", "signed_in", "super_user_of_org", "helpdesk_agent")


def current_person() -> Person | None:
    """The signed-in person of this request, or None. (An expired or ended session has already
    been cleared by `web.signin.session` before the view runs.)"""
    if "lrs_person" not in g:
        record = session.get(SESSION_KEY)
        g.lrs_person = Person.from_record(record["person"]) if record else None
    person: Person | None = g.lrs_person
    return person


def _to_sign_in() -> Any:
    here = request.full_path.rstrip("?") if request.query_string else request.path
    return redirect(url_for("signin.sign_in", next=here))


def _mark(view: Callable[..., Any], guard: str) -> None:
    view.lrs_guard = guard  # type: ignore[attr-defined]


def public(view: F) -> F:
    """A page anyone may see (the "You have signed out" page): declared, not forgotten."""
    _mark(view, "public")
    return view


def signed_in(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_person() is None:
            return _to_sign_in()
        return view(*args, **kwargs)

    _mark(guarded, "signed_in")
    return cast(F, guarded)


def super_user_of_org(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        person = current_person()
        if person is None:
            return _to_sign_in()
        if not person.is_super_user_of(str(kwargs.get("org", ""))):
            abort(404)
        return view(*args, **kwargs)

    _mark(guarded, "super_user_of_org")
    return cast(F, guarded)


def helpdesk_agent(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        person = current_person()
        if person is None:
            return _to_sign_in()
        if not person.helpdesk:
            abort(403)
        return view(*args, **kwargs)

    _mark(guarded, "helpdesk_agent")
    return cast(F, guarded)
