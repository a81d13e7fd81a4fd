"""ADR 0013 at the API's door: an organisation's API client's tokens are accepted by the JSON API
only (never by the help desk's), the caller is ``api-client:<org>`` when its client is one, and
what the decision forbids is refused with the rule's message."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from flask import Flask

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.api_clients import READ_ONLY_RULE, ApiClient
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.settings import config_dir
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.errors import Unauthorised
from lrs_keycloak.web.tokens import TokenVerifier, claimed_client
from tests.support.openapi import check_response
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory
from tests.unit.test_token_verifier import REALM, Realm, _token, realm  # noqa: F401

INTEGRATION = "lrs-api-anytown-college"


# --- the verifier ----------------------------------------------------------------------------


def test_the_help_desk_and_super_users_verifier_refuses_an_integrations_token(
    realm: tuple[Realm, str],  # noqa: F811
) -> None:
    keys, url = realm
    token = _token(keys.add_key("k1"), "k1", url, azp=INTEGRATION)
    with pytest.raises(Unauthorised, match="not issued to lrs-portal"):
        TokenVerifier(url, REALM).verify(token)


def test_an_integrations_token_is_verified_for_the_json_api(
    realm: tuple[Realm, str],  # noqa: F811
) -> None:
    keys, url = realm
    key = keys.add_key("k1")
    verifier = TokenVerifier(url, REALM)
    claims = verifier.verify_integration(_token(key, "k1", url, azp=INTEGRATION))
    assert claims["azp"] == INTEGRATION
    assert verifier.verify_integration(_token(key, "k1", url))["azp"] == "lrs-portal"
    with pytest.raises(Unauthorised):
        verifier.verify_integration(_token(key, "k1", url, azp="security-admin-console"))
    with pytest.raises(Unauthorised):  # signed by no key of the realm: refused all the same
        other = Realm().add_key("k1")
        verifier.verify_integration(_token(other, "k1", url, azp=INTEGRATION))


def test_the_claimed_client_only_chooses_the_check() -> None:
    assert claimed_client(jwt.encode({"azp": INTEGRATION}, "k" * 32, algorithm="HS256")) == (
        INTEGRATION
    )
    assert claimed_client("not a token") is None


# --- the API with fakes ----------------------------------------------------------------------


def _unsigned(azp: str) -> str:
    return jwt.encode({"azp": azp, "sub": "sa-1"}, "k" * 32, algorithm="HS256")


class _Verifier:
    """Trusts any token; says which check the API asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def _claims(self, token: str, asked: str) -> dict[str, Any]:
        self.asked.append(asked)
        return {**jwt.decode(token, options={"verify_signature": False}), "preferred_username": "x"}

    def verify(self, token: str) -> dict[str, Any]:
        return self._claims(token, "verify")

    def verify_integration(self, token: str) -> dict[str, Any]:
        return self._claims(token, "verify_integration")


class _Clients:
    """ApiClients.caller: the college's client exists, with service account sa-1."""

    def caller(self, org_id: str, subject: str) -> ApiClient | None:
        return ApiClient.of(org_id) if (org_id, subject) == (COLLEGE.id, "sa-1") else None


@pytest.fixture
def app() -> Flask:
    made = create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})
    directory = FakeDirectory()
    directory.add_org(COLLEGE)
    directory.add_org(OTHER)
    directory.add_user("sue.super", COLLEGE.id, ["LRBSuperUser"])
    directory.add_user("olive.online", COLLEGE.id, ["LRBOnlineUser"])
    admin = UserAdmin(
        directory, AuditLog(make_engine("sqlite://")), load_policy(config_dir(), realm="unit")
    )
    context.provide(made, token_verifier=_Verifier(), api_clients=_Clients(), user_admin=admin)
    return made


def _call(app: Flask, method: str, path: str, azp: str = INTEGRATION, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {_unsigned(azp)}"}
    answer = app.test_client().open(path, method=method, headers=headers, **kw)
    check_response(method, path, answer.status_code, answer.get_json())
    return answer


def test_an_integration_lists_its_organisations_users(app: Flask) -> None:
    answer = _call(app, "GET", "/api/v1/organisations/anytown-college/users")
    assert answer.status_code == 200
    assert {u["username"] for u in answer.get_json()["users"]} == {"sue.super", "olive.online"}
    assert context.token_verifier(app).asked == ["verify_integration"]  # type: ignore[attr-defined]


def test_an_integration_reads_its_audit_trail(app: Flask) -> None:
    answer = _call(app, "GET", "/api/v1/organisations/anytown-college/audit-events")
    assert answer.status_code == 200


def test_another_organisation_is_not_found_for_an_integration(app: Flask) -> None:
    assert _call(app, "GET", "/api/v1/organisations/other-college/users").status_code == 404


def test_an_integration_is_refused_a_change_with_the_rule(app: Flask) -> None:
    body = {"roles": ["LRBViewOnlyUser"], "reference": "HR 1"}
    path = "/api/v1/organisations/anytown-college/users/olive.online/roles"
    answer = _call(app, "PUT", path, json=body)
    assert answer.status_code == 403
    assert READ_ONLY_RULE in answer.get_json()["errors"][0]["message"]


def test_a_token_of_a_client_that_is_no_integration_is_refused(app: Flask) -> None:
    answer = _call(
        app, "GET", "/api/v1/organisations/other-college/users", azp="lrs-api-other-college"
    )
    assert answer.status_code == 401


def test_a_persons_token_takes_the_usual_check(app: Flask) -> None:
    _call(app, "GET", "/api/v1/organisations/anytown-college/users", azp="lrs-portal")
    assert context.token_verifier(app).asked == ["verify"]  # type: ignore[attr-defined]
