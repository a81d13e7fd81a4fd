"""The permission matrix (docs/permissions.md, "Pages"): every route of the pages blueprints
(home, super user, help desk) × every persona, checked against the guard the route declares.

Walks ``app.url_map``, so a new page is covered as soon as it is registered, and a page that
forgets its guard fails `test_every_page_declares_its_guard`. Refusals run the real view (the
guard refuses before the view's body, so nothing else is needed); where the guard lets the
persona through, the same guard is put around a stub, so no Keycloak is needed either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from lrs_keycloak.web.pages import BLUEPRINTS
from lrs_keycloak.web.signin import guards
from tests.support.pages import ORG, csrf_token, pages_app, persona, sign_in

PAGE_BLUEPRINTS = {bp.name for bp in BLUEPRINTS}
GUARDS: dict[str, Callable[[Any], Any]] = {
    "public": guards.public,
    "signed_in": guards.signed_in,
    "super_user_of_org": guards.super_user_of_org,
    "helpdesk_agent": guards.helpdesk_agent,
}
ALLOWED = "allowed"
TO_SIGN_IN = "to-sign-in"
#: What each guard answers each persona (None: no session).
MATRIX: dict[str, dict[str | None, str | int]] = {
    "public": {None: ALLOWED, "plain": ALLOWED, "super_user": ALLOWED,
               "other_super_user": ALLOWED, "helpdesk": ALLOWED},
    "signed_in": {None: TO_SIGN_IN, "plain": ALLOWED, "super_user": ALLOWED,
                  "other_super_user": ALLOWED, "helpdesk": ALLOWED},
    "super_user_of_org": {None: TO_SIGN_IN, "plain": 404, "super_user": ALLOWED,
                          "other_super_user": 404, "helpdesk": 404},
    "helpdesk_agent": {None: TO_SIGN_IN, "plain": 403, "super_user": 403,
                       "other_super_user": 403, "helpdesk": ALLOWED},
}  # fmt: skip
PERSONAS: tuple[str | None, ...] = (None, "plain", "super_user", "other_super_user", "helpdesk")


_APPS: list[Flask] = []


def _app() -> Flask:
    """One app for the whole matrix (making one per case took minutes)."""
    if not _APPS:
        _APPS.append(pages_app())
    return _APPS[0]


def _page_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in PAGE_BLUEPRINTS),
        key=lambda r: (r.rule, r.endpoint),
    )


def _cases() -> list[Any]:
    app = _app()
    cases = []
    for rule in _page_rules(app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for who in PERSONAS:
                cases.append(
                    pytest.param(
                        rule.rule,
                        rule.endpoint,
                        method,
                        who,
                        id=f"{method} {rule.rule} as {who or 'nobody'}",
                    )
                )
    return cases


def _url(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        if name in ("org", "org_id"):
            values[name] = ORG
        elif isinstance(converter, NumberConverter):
            values[name] = 1
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]  # type: ignore[attr-defined]
        else:
            values[name] = "someone"
    with app.test_request_context():
        return str(app.url_for(rule.endpoint, **values))


def test_the_pages_blueprints_have_routes() -> None:
    assert {r.endpoint.split(".")[0] for r in _page_rules(_app())} == PAGE_BLUEPRINTS


def test_every_page_declares_its_guard() -> None:
    app = _app()
    missing = [
        r.rule for r in _page_rules(app)
        if getattr(app.view_functions[r.endpoint], "lrs_guard", None) not in GUARDS
    ]  # fmt: skip
    assert missing == [], f"pages without a guard (signed_in, super_user_of_org, …): {missing}"


@pytest.mark.parametrize(("path", "endpoint", "method", "who"), _cases())
def test_page_permission(path: str, endpoint: str, method: str, who: str | None) -> None:
    app = _app()
    app.config["LRS_FORM_POSTS_PER_MINUTE"] = 10**6  # the matrix is not the rate limit's test
    guard = getattr(app.view_functions[endpoint], "lrs_guard", None)
    assert guard in GUARDS, f"{path} declares no guard"
    expected = MATRIX[guard][who]
    real = app.view_functions[endpoint]
    if expected == ALLOWED:
        # The same guard around a stub: the persona gets through to the view.
        app.view_functions[endpoint] = GUARDS[guard](lambda **kwargs: ("reached", 200))
    try:
        rule = next(
            r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path
        )
        client = app.test_client()
        if who is not None:
            sign_in(client, persona(who))
        url = _url(app, rule)
        answer = client.open(url, method=method, data={"csrf_token": csrf_token(client)})
    finally:
        app.view_functions[endpoint] = real
    if expected == ALLOWED:
        assert (answer.status_code, answer.get_data(as_text=True)) == (200, "reached")
    elif expected == TO_SIGN_IN:
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/sign-in?next=")
    else:
        assert answer.status_code == expected
        assert "reached" not in answer.get_data(as_text=True)
