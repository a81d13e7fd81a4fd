"""Signing in to the companion app through the real Keycloak (issue 11, ADR 11): a throwaway
realm synced with the companion client, the app served on a real port (Keycloak posts its
back-channel logouts to it), a person signing in through Keycloak's login form and the
every-logon User Agreement, then signing out, and a session ended in Keycloak ending the app's.
"""

from __future__ import annotations

import html
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import jsonify
from flask_wtf.csrf import generate_csrf
from werkzeug.serving import make_server

from lrs_keycloak.config import load_policy
from lrs_keycloak.config.companion import with_companion
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import config_dir
from lrs_keycloak.web import create_app
from lrs_keycloak.web.signin.guards import current_person, signed_in
from tests.integration.conftest import gateway_for, new_realm_name
from tests.support.oidc import _FORM, _follow_keycloak, _insecure_cookies, after_password
from tests.support.people import make_person

PASSWORD = "a long enough passphrase 42"
SECRET = "integration-companion-secret-" + "s" * 20
ORG = "org-a"
WHOAMI = "/test-only/whoami"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    realm = new_realm_name()
    gw = gateway_for(realm)
    policy = with_companion(load_policy(config_dir(), realm=realm), public_url, SECRET)
    apply(gw, plan(gw, policy))
    try:
        organisations = gw.find_top_group("organisations")
        assert organisations is not None
        gw.create_child_group(organisations["id"], {"name": ORG})
        username, user_id = make_person(gw, "Sian", "Super", orgs=[ORG], password=PASSWORD)
        portal = gw.find_client("lrs-portal")
        assert portal is not None
        role = gw.call("GET", f"/clients/{portal['id']}/roles/{SUPER_USER}")
        gw.call("POST", f"/users/{user_id}/role-mappings/clients/{portal['id']}", [role])
        app = create_app(
            {
                "LRS_REALM": realm,
                "LRS_PUBLIC_URL": public_url,
                "LRS_COMPANION_CLIENT_SECRET": SECRET,
                "LRS_DATABASE_URL": "sqlite://",
                "LRS_ENFORCE": False,
                "TESTING": True,
            }
        )

        @app.get(WHOAMI)
        @signed_in
        def whoami() -> Any:
            person = current_person()
            assert person is not None
            return jsonify(person=person.to_record(), csrf_token=generate_csrf())

        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield {"gw": gw, "url": public_url, "username": username, "user_id": user_id}
        server.shutdown()
    finally:
        if gw.get_realm() is not None:
            gw.delete_realm()


def _sign_in(world: dict[str, Any]) -> requests.Session:
    """Through the app's /sign-in, Keycloak's login form and User Agreement, back to the app."""
    browser = requests.Session()
    answer = browser.get(
        f"{world['url']}/sign-in", params={"next": WHOAMI}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302
    page = browser.get(answer.headers["Location"], timeout=30)
    _insecure_cookies(browser)
    form = _FORM.search(page.text)
    assert form is not None, page.text[:300]
    answer = browser.post(
        html.unescape(form.group(2)),
        data={"username": world["username"], "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    _insecure_cookies(browser)
    # The authenticator (a super user: second factor) and the every-logon User Agreement.
    answer, seen = after_password(browser, answer, world["gw"].realm, world["username"])
    assert seen.agreement and (seen.factor_set_up or seen.code_asked)
    assert answer.headers["Location"].startswith(f"{world['url']}/auth/callback?")
    landed = browser.get(answer.headers["Location"], allow_redirects=False, timeout=30)
    assert (landed.status_code, landed.headers["Location"]) == (302, WHOAMI)
    return browser


def _keycloak_sessions(world: dict[str, Any]) -> list[Any]:
    gw: KeycloakGateway = world["gw"]
    found: list[Any] = gw.call("GET", f"/users/{world['user_id']}/sessions")
    return found


def _whoami(world: dict[str, Any], browser: requests.Session) -> requests.Response:
    return browser.get(f"{world['url']}{WHOAMI}", allow_redirects=False, timeout=30)


def test_signing_in_through_keycloak_lands_on_the_app_as_the_right_person(
    world: dict[str, Any],
) -> None:
    browser = _sign_in(world)
    answer = _whoami(world, browser)
    assert answer.status_code == 200
    person = answer.json()["person"]
    assert person["username"] == world["username"] and person["user_id"] == world["user_id"]
    assert person["organisations"] == [ORG] and person["roles"] == [SUPER_USER]
    assert person["helpdesk"] is False and person["name"] == "Sian Super"
    assert len(_keycloak_sessions(world)) >= 1


def _session_ids(world: dict[str, Any]) -> set[str]:
    return {str(s["id"]) for s in _keycloak_sessions(world)}


def test_signing_out_ends_the_keycloak_session_too(world: dict[str, Any]) -> None:
    before = _session_ids(world)
    browser = _sign_in(world)
    [mine] = _session_ids(world) - before
    token = _whoami(world, browser).json()["csrf_token"]
    answer = browser.post(
        f"{world['url']}/sign-out", data={"csrf_token": token}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302 and "id_token_hint=" in answer.headers["Location"]
    answer = _follow_keycloak(browser, answer)
    assert answer.headers["Location"] == f"{world['url']}/signed-out"
    page = browser.get(answer.headers["Location"], timeout=30)
    assert "You have signed out" in page.text
    assert mine not in _session_ids(world)
    assert _whoami(world, browser).status_code == 302  # to /sign-in


def test_a_session_ended_in_keycloak_ends_the_apps_session(world: dict[str, Any]) -> None:
    browser = _sign_in(world)
    assert _whoami(world, browser).status_code == 200
    gw: KeycloakGateway = world["gw"]
    gw.call("POST", f"/users/{world['user_id']}/logout")  # back-channel logout to the app
    answer = _whoami(world, browser)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in?next=")


def test_the_companion_client_is_confidential_exact_and_in_sync(world: dict[str, Any]) -> None:
    gw: KeycloakGateway = world["gw"]
    client = gw.find_client("lrs-companion")
    assert client is not None and client["publicClient"] is False
    assert client["redirectUris"] == [f"{world['url']}/auth/callback"]
    attributes = client["attributes"]
    assert attributes["post.logout.redirect.uris"] == f"{world['url']}/signed-out"
    assert attributes["backchannel.logout.url"] == f"{world['url']}/auth/backchannel-logout"
    assert attributes["pkce.code.challenge.method"] == "S256"
    policy = with_companion(load_policy(config_dir(), realm=gw.realm), world["url"], SECRET)
    left = [c for c in plan(gw, policy).changes if c.resource in ("client", "protocol-mapper")]
    assert left == []  # a second sync changes nothing
    moved = with_companion(policy, "https://users.example.gov.uk", "a-new-secret-" + "n" * 30)
    [change] = [c for c in plan(gw, moved).changes if c.resource == "client"]
    assert change.fields["secret"] == ("(hidden)", "(hidden)")  # the plan never shows it
    assert "a-new-secret" not in str(change.fields) and SECRET not in str(change.fields)
    assert change.fields["redirectUris"][1] == ["https://users.example.gov.uk/auth/callback"]
