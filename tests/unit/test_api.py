"""The API's own rules that need no Keycloak: its OpenAPI document and its error boundary."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import openapi_spec_validator
import pytest
from flask import Flask

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.keycloak.errors import GatewayError, KeycloakUnavailable
from lrs_keycloak.services.recovery import MailFailed
from lrs_keycloak.services.user_admin import NotVisible
from lrs_keycloak.store.audit import EVENTS, AuditEvent
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.openapi import SPEC
from tests.support.openapi import CheckedClient, check_response


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})


def _routes(app: Flask) -> set[tuple[str, str]]:
    """Every route under /api/, whichever blueprint serves it (the help desk's are in
    ``recovery``, next to the senior manager's HTML page, which is outside the API)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method.lower(), path))
    return found


def _documented() -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {(m, path) for path, item in SPEC["paths"].items() for m in item if m in methods}


def test_every_api_route_is_documented_and_every_documented_route_exists(app: Flask) -> None:
    assert _routes(app) == _documented()


def test_openapi_document_is_valid_openapi_3_1() -> None:
    openapi_spec_validator.validate(SPEC)
    assert SPEC["openapi"] == "3.1.0"


def test_openapi_document_is_served(app: Flask) -> None:
    answer = app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.get_json() == SPEC


def test_every_operation_documents_401_and_500() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert {"401", "500"} <= operation["responses"].keys(), f"{method} {path}"


def test_audit_events_may_hold_every_catalogued_action() -> None:
    # A super user's trail also shows the help desk's recovery and the enforcer's events.
    at = datetime(2024, 5, 1, tzinfo=UTC)
    body = {"events": [AuditEvent(e.name, "x", "org", at=at, id=1).as_dict() for e in EVENTS]}
    check_response("GET", "/api/v1/organisations/org/audit-events", 200, body)


_BEARER = {"Authorization": "Bearer x"}


class _Verifier:
    def verify(self, token: str) -> dict[str, Any]:
        return {"preferred_username": "sue.super", "sub": "id-1"}


class _Broken:
    """A UserAdmin whose listing fails in a way nobody expected."""

    def actor(self, username: str, subject: str | None = None) -> Actor:
        return Actor(username, "anytown-college", frozenset({"LRBSuperUser"}))

    def list_users(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /srv/db password=hunter2")


def test_unexpected_error_is_a_json_500_with_an_id_that_is_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    context.provide(app, token_verifier=_Verifier())
    context.provide(app, user_admin=_Broken())
    path = "/api/v1/organisations/anytown-college/users"
    with caplog.at_level(logging.ERROR, logger="lrs_keycloak.web.api"):
        answer = app.test_client().get(path, headers={"Authorization": "Bearer x"})
    assert answer.status_code == 500
    body = answer.get_json()
    check_response("GET", path, 500, body)
    assert "hunter2" not in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)
    assert body["error_id"] in body["errors"][0]["message"]
    assert body["error_id"] in caplog.text and "hunter2" in caplog.text  # the detail is logged


class _Desk:
    """A RecoveryService whose agent is who ``realm_roles`` says and whose use cases fail."""

    def __init__(self, error: Exception, realm_roles: frozenset[str]) -> None:
        self.admin = self
        self.error = error
        self.realm_roles = realm_roles

    def actor(self, username: str, subject: str | None = None) -> Actor:
        return Actor(username, None, frozenset(), self.realm_roles)

    def send_link(self, *args: Any) -> Any:
        raise self.error

    def complete(self, *args: Any) -> Any:
        raise self.error


def _desk(error: Exception, realm_roles: frozenset[str] = frozenset({HELPDESK_REALM_ROLE})) -> Any:
    # Not testing: an unexpected error is answered as in production, not raised into the test.
    app = create_app(
        {"LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://", "LRS_ENFORCE": False}
    )
    app.test_client_class = CheckedClient  # each answer must be one the document describes
    context.provide(app, token_verifier=_Verifier())
    context.provide(app, recovery=_Desk(error, realm_roles))
    return app.test_client()


_STATE = Violation("state", "illegal-transition", "A completed case cannot…", "guide §10.2")
_RULE = Violation("organisation_id", "super-user-active-again", "Sue is back.", "guide §3")


@pytest.mark.parametrize(
    ("action", "error", "status"),
    [
        ("approval-link", MailFailed("SMTP refused", "SMTP refused."), 502),
        ("approval-link", KeycloakUnavailable("connection refused"), 503),
        ("approval-link", GatewayError("Keycloak said 500", 500), 500),
        ("approval-link", NotVisible("recovery case 7 not found"), 404),
        ("approval-link", RuleViolation([_STATE]), 409),
        ("complete", RuleViolation([_RULE, _STATE]), 409),  # any state code makes it 409
        ("complete", RuleViolation([_RULE]), 422),
    ],
)
def test_help_desk_errors_are_answered_as_documented(
    action: str, error: Exception, status: int
) -> None:
    answer = _desk(error).post(f"/api/v1/recovery-cases/7/{action}", headers=_BEARER)
    assert answer.status_code == status


def test_help_desk_unexpected_error_is_a_json_500_with_an_id_as_for_super_users() -> None:
    answer = _desk(RuntimeError("secret internals")).post(
        "/api/v1/recovery-cases/7/complete", headers=_BEARER
    )
    assert answer.status_code == 500 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["errors"][0]["code"] == "internal-error"
    assert body["error_id"] in body["errors"][0]["message"]
    assert "secret internals" not in answer.get_data(as_text=True)


def test_the_senior_managers_page_shows_an_id_not_a_trace_on_an_unexpected_error() -> None:
    class _Broken(_Desk):
        def view_link(self, token: str) -> Any:
            raise RuntimeError("secret internals")

    app = create_app(
        {"LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://", "LRS_ENFORCE": False}
    )
    context.provide(app, recovery=_Broken(RuntimeError("unused"), frozenset()))
    answer = app.test_client().get("/recovery/approve/some-token")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 500 and answer.mimetype == "text/html"
    assert "contact the MIAP Help Desk quoting error" in text
    assert "secret internals" not in text and "Traceback" not in text


def test_help_desk_refuses_no_token_and_a_user_without_the_role_as_documented() -> None:
    missing = _desk(RuntimeError("not reached")).get("/api/v1/recovery-cases")
    assert missing.status_code == 401
    # RFC 6750 §3.1: no error code in the challenge when no token was sent.
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="lrs-unit"'
    assert missing.get_json()["errors"][0]["field"] == "Authorization"
    outsider = _desk(RuntimeError("not reached"), realm_roles=frozenset())
    assert outsider.get("/api/v1/recovery-cases", headers=_BEARER).status_code == 403


def test_no_token_is_401_before_any_keycloak_call(app: Flask) -> None:
    context.provide(app, user_admin=_Broken())
    answer = app.test_client().get("/api/v1/organisations/x/users")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="lrs-unit"'


def test_an_unknown_api_route_or_method_answers_in_the_apis_json_error_shape() -> None:
    from lrs_keycloak.web import create_app

    client = create_app({"TESTING": True}).test_client()
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.get_json()["errors"][0]["code"] == "not-found"
    wrong = client.delete("/api/v1/openapi.json")
    assert wrong.status_code == 405
    assert wrong.get_json()["errors"][0]["code"] == "method-not-allowed"
    assert client.get("/no-such-page").status_code == 404  # outside the API: Flask's own page
