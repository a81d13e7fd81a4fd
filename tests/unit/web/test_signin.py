"""Sign-in, sessions and the web security rules of the companion app's pages (issue 11, ADR 11),
against a fake OpenID provider: no Keycloak."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from flask import Flask

from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.web.signin import session as sessions
from lrs_keycloak.web.signin.claims import person_from_claims
from lrs_keycloak.web.signin.guards import SESSION_KEY, signed_in
from lrs_keycloak.web.signin.routes import safe_next
from tests.support.pages import csrf_token, pages_app, persona, sign_in
from tests.unit.web.oidc_fakes import ISSUER, OIDC, jwks, logout_token, serve_provider, sign

PRIVATE = "/test-only/private"


def _with_private_page(app: Flask) -> Flask:
    """A page behind `signed_in` that needs nothing else (no Keycloak, no other blueprint)."""

    @app.route(PRIVATE, methods=["GET", "POST"])
    @signed_in
    def private() -> str:
        return "<p>private</p>"

    return app


@pytest.fixture
def app() -> Flask:
    return _with_private_page(pages_app())


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    # PyJWT fetches the realm's keys with urllib, which `responses` does not see.
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: jwks())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_provider(mock)
        yield mock


def _session(client: Any) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


# --- signing in -------------------------------------------------------------------------------


def _start(client: Any, next_path: str = "/helpdesk/") -> dict[str, str]:
    answer = client.get("/sign-in", query_string={"next": next_path})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{OIDC}/auth"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_sign_in_sends_to_keycloak_with_pkce_state_nonce_and_the_exact_callback(
    app: Flask, provider: responses.RequestsMock
) -> None:
    query = _start(app.test_client())
    assert query["client_id"] == "lrs-companion" and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["state"] and query["nonce"]
    assert query["redirect_uri"] == "http://127.0.0.1:5000/auth/callback"
    assert "openid" in query["scope"].split()


def _tokens(nonce: str, **id_claims: Any) -> dict[str, Any]:
    now = int(time.time())
    common = {"iss": ISSUER, "sub": "u-super", "iat": now, "exp": now + 300}
    id_token = sign(
        {
            **common,
            "aud": "lrs-companion",
            "nonce": nonce,
            "sid": "kc-session-1",
            "preferred_username": "sam.super",
            "name": "Sam Super",
            "email": "sam@example.org",
            "groups": ["/organisations/org-a", "/other/x"],
            **id_claims,
        }
    )
    access = sign(
        {
            **common,
            "typ": "Bearer",
            "azp": "lrs-companion",
            "preferred_username": "sam.super",
            "resource_access": {"lrs-portal": {"roles": [SUPER_USER]}},
            "realm_access": {"roles": ["default-roles-lrs", "lrs-helpdesk"]},
        }
    )
    return {"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": 300}


def test_callback_signs_in_the_person_of_the_tokens_and_goes_to_next(
    app: Flask, provider: responses.RequestsMock
) -> None:
    client = app.test_client()
    query = _start(client, "/helpdesk/?q=x")
    provider.post(f"{OIDC}/token", json=_tokens(query["nonce"]))
    answer = client.get("/auth/callback", query_string={"code": "c", "state": query["state"]})
    assert answer.status_code == 302 and answer.headers["Location"] == "/helpdesk/?q=x"
    record = _session(client)[SESSION_KEY]
    assert record["sid"] == "kc-session-1" and record["id_token"]
    person = record["person"]
    assert (person["username"], person["organisations"]) == ("sam.super", ["org-a"])
    assert person["roles"] == [SUPER_USER] and person["helpdesk"] is True
    [token_request] = [c.request for c in provider.calls if c.request.method == "POST"]
    assert "code_verifier=" in str(token_request.body)  # PKCE: the verifier goes with the code


def test_callback_refuses_a_wrong_nonce(app: Flask, provider: responses.RequestsMock) -> None:
    client = app.test_client()
    query = _start(client)
    provider.post(f"{OIDC}/token", json=_tokens("another-nonce"))
    answer = client.get("/auth/callback", query_string={"code": "c", "state": query["state"]})
    assert answer.status_code != 302 and SESSION_KEY not in _session(client)


def test_callback_refuses_an_unknown_state(app: Flask, provider: responses.RequestsMock) -> None:
    client = app.test_client()
    _start(client)
    answer = client.get("/auth/callback", query_string={"code": "c", "state": "forged"})
    assert answer.status_code == 400 and SESSION_KEY not in _session(client)


def test_callback_with_keycloak_error_shows_sign_in_failed(app: Flask) -> None:
    answer = app.test_client().get("/auth/callback", query_string={"error": "access_denied"})
    assert answer.status_code == 400 and b"Sign-in did not work" in answer.data


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nLocation: https://evil.example",
        "",
        "http:/evil",
    ],
)
def test_open_redirect_on_next_is_refused(wanted: str) -> None:
    assert safe_next(wanted) == "/"


def test_next_keeps_a_local_path_with_its_query() -> None:
    assert safe_next("/organisations/org-a/users?page=2") == "/organisations/org-a/users?page=2"


def test_sign_in_refuses_an_outside_next(app: Flask, provider: responses.RequestsMock) -> None:
    client = app.test_client()
    _start(client, "https://evil.example/")
    assert _session(client)["lrs_next"] == "/"


def test_claims_make_the_person_from_groups_client_roles_and_realm_role() -> None:
    person = person_from_claims(
        {
            "sub": "id1",
            "preferred_username": "ada.lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "groups": ["/organisations/org-a", "/organisations/a/b"],
        },
        {
            "resource_access": {
                "lrs-portal": {"roles": ["LRBOnlineUser"]},
                "account": {"roles": ["manage-account"]},
            },
            "realm_access": {"roles": ["offline"]},
        },
        "lrs-portal",
    )
    assert person.name == "Ada Lovelace" and person.organisations == ("org-a",)
    assert person.roles == frozenset({"LRBOnlineUser"}) and not person.helpdesk
    assert not person.is_super_user_of("org-a")


# --- sessions ---------------------------------------------------------------------------------


def test_session_cookie_is_httponly_samesite_lax_and_not_secure_on_plain_http(
    app: Flask, provider: responses.RequestsMock
) -> None:
    client = app.test_client()
    answer = client.get("/sign-in")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("lrs_session=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_the_app_is_served_over_https() -> None:
    app = pages_app({"LRS_PUBLIC_URL": "https://users.lrs.example.gov.uk"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_idle_timeout_is_the_realms_sso_session_idle() -> None:
    app = pages_app()
    assert sessions.lifetimes(app).idle == 1800  # realm.yaml ssoSessionIdleTimeout
    assert app.permanent_session_lifetime.total_seconds() == 1800


def test_an_idle_session_ends(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, persona("helpdesk"))
    with client.session_transaction() as session:
        session[SESSION_KEY]["seen"] = int(time.time()) - 1801
    assert client.get(PRIVATE).status_code == 302
    assert SESSION_KEY not in _session(client)


def test_a_session_past_the_realms_maximum_lifespan_ends(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, persona("helpdesk"))
    with client.session_transaction() as session:
        session[SESSION_KEY]["ends"] = int(time.time()) - 1
    assert client.get(PRIVATE).status_code == 302


def test_a_cookie_signed_with_another_key_is_not_a_session(app: Flask) -> None:
    other = _with_private_page(pages_app({"LRS_SECRET_KEY": "another-secret-" + "x" * 40}))
    client = other.test_client()
    sign_in(client, persona("helpdesk"))
    cookie = client.get_cookie("lrs_session")
    assert cookie is not None
    victim = app.test_client()
    victim.set_cookie("lrs_session", cookie.value)
    assert victim.get("/helpdesk/").status_code == 302


# --- back-channel logout ----------------------------------------------------------------------


def test_backchannel_logout_ends_that_session_in_every_process(
    app: Flask, provider: responses.RequestsMock
) -> None:
    client = app.test_client()
    sign_in(client, persona("helpdesk"), sid="kc-session-1")
    answer = app.test_client().post(
        "/auth/backchannel-logout", data={"logout_token": sign(logout_token())}
    )
    assert answer.status_code == 200
    assert client.get(PRIVATE).status_code == 302  # signed out: to /sign-in
    assert sessions.store(app).is_ended("kc-session-1")


@pytest.mark.parametrize(
    ("claims", "foreign"),
    [
        ({}, True),  # not signed by the realm
        ({"aud": "lrs-portal"}, False),
        ({"iss": "http://evil/realms/lrs-unit"}, False),
        ({"events": {}}, False),
        ({"nonce": "n"}, False),
        ({"sid": None}, False),
    ],
)
def test_backchannel_logout_refuses_a_bad_logout_token(
    app: Flask, provider: responses.RequestsMock, claims: dict[str, Any], foreign: bool
) -> None:
    client = app.test_client()
    sign_in(client, persona("helpdesk"), sid="kc-session-1")
    token = sign(logout_token(**claims), foreign_key=foreign)
    answer = app.test_client().post("/auth/backchannel-logout", data={"logout_token": token})
    assert answer.status_code == 400
    assert client.get(PRIVATE).status_code != 302


# --- signing out ------------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_logs_out_of_keycloak_with_the_hint(
    app: Flask, provider: responses.RequestsMock
) -> None:
    client = app.test_client()
    sign_in(client, persona("plain"))
    answer = client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{OIDC}/logout"
    query = parse_qs(location.query)
    assert query["id_token_hint"] == ["test-id-token"]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/signed-out"]
    assert SESSION_KEY not in _session(client)


def test_sign_out_is_a_post_only(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, persona("plain"))
    assert client.get("/sign-out").status_code == 405
    assert SESSION_KEY in _session(client)


def test_signed_out_page_says_so(app: Flask) -> None:
    answer = app.test_client().get("/signed-out")
    assert answer.status_code == 200 and b"You have signed out" in answer.data


# --- CSRF, rate limit, headers ----------------------------------------------------------------


def test_csrf_a_form_post_without_the_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, persona("plain"))
    answer = client.post("/sign-out")
    assert answer.status_code == 400 and b"This form has expired" in answer.data
    assert SESSION_KEY in _session(client)  # still signed in: nothing was done


def test_csrf_a_token_of_another_session_is_refused(app: Flask) -> None:
    other = app.test_client()
    token = csrf_token(other)
    client = app.test_client()
    sign_in(client, persona("plain"))
    csrf_token(client)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 400


def test_csrf_does_not_apply_to_the_api_or_the_webhook(app: Flask) -> None:
    assert app.test_client().post("/api/v1/recovery-cases", json={}).status_code == 401
    hook = app.test_client().post("/hooks/keycloak", data=b"{}")
    assert hook.status_code == 401 and b"form has expired" not in hook.data


def test_csrf_field_is_a_jinja_global_with_the_sessions_token(app: Flask) -> None:
    with app.test_request_context():
        field = app.jinja_env.globals["csrf_field"]()  # type: ignore[operator]
    assert str(field).startswith('<input type="hidden" name="csrf_token" value="')


def test_form_posts_are_rate_limited_per_session(app: Flask) -> None:
    app.config["LRS_FORM_POSTS_PER_MINUTE"] = 3
    client = app.test_client()
    sign_in(client, persona("plain"))
    codes = [
        client.post(PRIVATE, data={"csrf_token": csrf_token(client)}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = client.post(PRIVATE, data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    # another session is counted on its own
    other = app.test_client()
    sign_in(other, persona("plain"))
    assert other.post(PRIVATE, data={"csrf_token": csrf_token(other)}).status_code != 429


def test_rate_limit_counts_in_the_shared_store(app: Flask) -> None:
    store = sessions.store(app)
    assert [store.count("k", 7) for _ in range(3)] == [1, 2, 3]
    assert store.count("k", 8) == 1 and store.count("j", 8) == 1


@pytest.mark.parametrize("path", ["/signed-out", PRIVATE, "/no-such-page"])
def test_security_headers_on_html_answers(app: Flask, path: str) -> None:
    client = app.test_client()
    sign_in(client, persona("helpdesk"))
    answer = client.get(path)
    assert answer.mimetype == "text/html"
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_in_the_sign_in_pages(app: Flask) -> None:
    for path in ("/signed-out",):
        html = app.test_client().get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "onclick" not in html
