"""No token outlives the logon it came from (issue 9 §4): a refresh never shows the User
Agreement, which the guide wants at every logon (§4.3), so the `lrs-portal` client offers no
offline tokens and a session's refresh tokens stop at ssoSessionMaxLifespan."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import keycloak_settings
from tests.support.oidc import tokens
from tests.support.people import make_person

PASSWORD = "a long enough passphrase 42"
CLIENT = "lrs-portal"
REDIRECT = "http://127.0.0.1:5000/callback"


def _realm_url(realm: str) -> str:
    return f"{keycloak_settings().url.rstrip('/')}/realms/{realm}/protocol/openid-connect"


def _authorise(realm: str, scope: str) -> requests.Response:
    """The browser's first step, not followed: Keycloak checks the scope before any login."""
    query = urlencode(
        {
            "client_id": CLIENT,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": REDIRECT,
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        }
    )
    return requests.get(f"{_realm_url(realm)}/auth?{query}", allow_redirects=False, timeout=30)


def _refresh(realm: str, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{_realm_url(realm)}/token",
        data={"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": refresh_token},
        timeout=30,
    )


def _person(gw: KeycloakGateway, family: str) -> str:
    username, _ = make_person(gw, "Tess", family, password=PASSWORD)
    return username


def _offline_access_offered(gw: KeycloakGateway) -> bool:
    client: dict[str, Any] = gw.find_client(CLIENT)
    offered = [*client.get("defaultClientScopes", []), *client.get("optionalClientScopes", [])]
    return "offline_access" in offered


def test_the_portal_client_refuses_the_offline_access_scope(
    synced_gateway: KeycloakGateway,
) -> None:
    assert not _offline_access_offered(synced_gateway)
    answer = _authorise(synced_gateway.realm, "openid offline_access")
    query = parse_qs(urlparse(answer.headers.get("Location", "")).query)
    assert answer.status_code in (302, 303)
    assert query.get("error") == ["invalid_scope"]
    assert "code" not in query
    # The same request without it is fine: the refusal is about the scope, nothing else.
    assert _authorise(synced_gateway.realm, "openid").status_code == 200


def test_a_logon_gives_a_refresh_token_of_the_session_not_an_offline_one(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    answer = tokens(synced_gateway.realm, _person(synced_gateway, "Lovelace"), PASSWORD)
    refresh = jwt.decode(answer["refresh_token"], options={"verify_signature": False})
    assert refresh["typ"] == "Refresh"
    assert "offline_access" not in answer["scope"].split()
    assert 0 < answer["refresh_expires_in"] <= policy.settings["ssoSessionIdleTimeout"]
    assert refresh["exp"] - refresh["iat"] <= policy.settings["ssoSessionMaxLifespan"]


def test_offline_access_given_back_by_hand_is_planned_off_and_sync_takes_it_away(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    gw = synced_gateway
    client = gw.find_client(CLIENT)
    (scope,) = [s for s in gw.call("GET", "/client-scopes") if s["name"] == "offline_access"]
    gw.call("PUT", f"/clients/{client['id']}/optional-client-scopes/{scope['id']}")
    assert _offline_access_offered(gw)
    changes = plan(gw, policy).changes
    assert [(c.action, c.resource, c.name) for c in changes] == [
        ("delete", "client-scope", f"{CLIENT}/offline_access")
    ]
    apply(gw, plan(gw, policy))
    assert not _offline_access_offered(gw)
    assert plan(gw, policy).empty
    query = parse_qs(
        urlparse(_authorise(gw.realm, "openid offline_access").headers["Location"]).query
    )
    assert query.get("error") == ["invalid_scope"]


def test_a_refresh_past_the_session_cap_is_refused(synced_gateway: KeycloakGateway) -> None:
    gw = synced_gateway
    cap = 8
    realm = gw.get_realm()
    gw.update_realm({"ssoSessionMaxLifespan": cap})
    try:
        answer = tokens(gw.realm, _person(gw, "Hopper"), PASSWORD)
        started = time.monotonic()
        again = _refresh(gw.realm, answer["refresh_token"])
        assert again.status_code == 200, again.text  # within the cap: the session goes on
        assert again.json()["refresh_expires_in"] <= cap
        time.sleep(max(0.0, cap + 2 - (time.monotonic() - started)))
        late = _refresh(gw.realm, again.json()["refresh_token"])
        assert late.status_code == 400
        assert late.json()["error"] == "invalid_grant"
    finally:
        gw.update_realm({"ssoSessionMaxLifespan": realm["ssoSessionMaxLifespan"]})
