"""A browser-flow logon over plain HTTP (no browser): login form, second factor, User
Agreement, code, tokens.

Direct-access grants are off for LRS clients and the every-logon agreement refuses password
grants anyway, so tests and benchmarks that need a user's token log on as a browser does.
Super users and the help desk give a TOTP code (docs/adr/0015): at their first logon the helper
sets up their authenticator (the secret on Keycloak's set-up form, kept in tests/support/totp.py)
and at every later one types a code computed from it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from lrs_keycloak.settings import keycloak_settings
from tests.support import totp

_FORM = re.compile(r'<form[^>]*id="(kc-form-login|lrs-agreement-form)"[^>]*action="([^"]+)"')
#: Every page Keycloak may show after the password, by its form's id.
_PAGE = re.compile(
    r'<form[^>]*action="([^"]+)"[^>]*id="(kc-totp-settings-form|kc-otp-login-form|'
    r'lrs-agreement-form|kc-form-login)"'
    r'|<form[^>]*id="(kc-totp-settings-form|kc-otp-login-form|lrs-agreement-form|kc-form-login)"'
    r'[^>]*action="([^"]+)"'
)
_TOTP_SECRET = re.compile(r'name="totpSecret" value="([^"]+)"')


def _base() -> str:
    # The Keycloak the admin gateway talks to (LRS_KEYCLOAK_URL), so that benchmarks can run
    # against another server, e.g. one on PostgreSQL.
    return keycloak_settings().url.rstrip("/")


class LogonRefused(AssertionError):
    """Keycloak did not issue a code; the message says what it showed instead."""


@dataclass
class Logon:
    """The outcome of one logon: whether the agreement was shown, the code, the session, and
    whether Keycloak made the person set up an authenticator or asked for its code."""

    session: requests.Session
    agreement_shown: bool
    code: str
    verifier: str
    redirect_uri: str
    factor_set_up: bool = False
    code_asked: bool = False


@dataclass
class Seen:
    """The pages Keycloak showed after the password."""

    agreement: bool = False
    factor_set_up: bool = False
    code_asked: bool = False


def _page(text: str) -> tuple[str, str] | None:
    """(form id, action) of the Keycloak page, or None when it has none we know."""
    found = _PAGE.search(text)
    if found is None:
        return None
    if found.group(2):
        return found.group(2), html.unescape(found.group(1))
    return found.group(3), html.unescape(found.group(4))


def after_password(
    session: requests.Session,
    answer: requests.Response,
    realm: str,
    username: str,
    *,
    accept_agreement: bool = True,
    otp: str | None = None,
) -> tuple[requests.Response, Seen]:
    """Go through the pages Keycloak shows after the password (set up an authenticator, give
    its code, the User Agreement) until it redirects to the client; `otp` replaces the computed
    code once (a wrong code: LogonRefused when Keycloak asks again)."""
    seen = Seen()
    answer = _follow_keycloak(session, answer)
    while answer.status_code == 200:
        page = _page(answer.text)
        if page is None:
            raise LogonRefused(f"unexpected page after the password: {answer.text[:400]}")
        form, action = page
        if form == "kc-form-login":
            raise LogonRefused(f"the login form again: {answer.text[:400]}")
        if form == "kc-totp-settings-form":
            if seen.factor_set_up:
                raise LogonRefused("the authenticator set-up was refused")
            seen.factor_set_up = True
            found = _TOTP_SECRET.search(answer.text)
            assert found is not None, answer.text[:400]
            totp.remember(realm, username, totp.base32_of_raw(html.unescape(found.group(1))))
            data = {
                "totp": totp.code(realm, username),
                "totpSecret": html.unescape(found.group(1)),
                "userLabel": "test authenticator",
            }
        elif form == "kc-otp-login-form":
            if seen.code_asked:
                raise LogonRefused("the one-time code was refused")
            seen.code_asked = True
            data = {
                "otp": otp if otp is not None else totp.code(realm, username),
                "login": "Sign In",
            }
        else:
            seen.agreement = True
            data = {"accept": "accept"} if accept_agreement else {"cancel": "cancel"}
        answer = session.post(action, data=data, allow_redirects=False, timeout=30)
        _insecure_cookies(session)
        answer = _follow_keycloak(session, answer)
    return answer, seen


def _insecure_cookies(session: requests.Session) -> None:
    # Keycloak marks cookies Secure even on http://127.0.0.1; requests would not send them back.
    for cookie in session.cookies:
        cookie.secure = False


def _follow_keycloak(session: requests.Session, answer: requests.Response) -> requests.Response:
    """Follow redirects to Keycloak's login pages (e.g. the required-action page), but not to
    the client, even when the client lives on Keycloak's host (the admin console)."""
    while answer.status_code in (302, 303) and answer.headers["Location"].startswith(
        f"{_base()}/realms/"
    ):
        answer = session.get(answer.headers["Location"], allow_redirects=False, timeout=30)
        _insecure_cookies(session)
    return answer


def _authorization_url(
    realm: str, client_id: str, scope: str, redirect_uri: str
) -> tuple[str, str]:
    """(PKCE verifier, the authorization request's URL with its S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    url = f"{_base()}/realms/{realm}/protocol/openid-connect/auth?" + urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
    )
    return verifier, url


def log_on(
    realm: str,
    username: str,
    password: str,
    client_id: str = "lrs-portal",
    redirect_uri: str = "http://127.0.0.1:5000/callback",
    accept_agreement: bool = True,
    scope: str = "openid",
    otp: str | None = None,
    session: requests.Session | None = None,
) -> Logon:
    """`session`: a browser's cookie jar to start from (e.g. the proxy's cookie that pins a
    node of the cluster, tests/cluster); a new one by default."""
    verifier, url = _authorization_url(realm, client_id, scope, redirect_uri)
    session = session or requests.Session()
    page = session.get(url, timeout=30)
    _insecure_cookies(session)
    form = _FORM.search(page.text)
    if form is None:
        raise LogonRefused(f"no login form: {page.status_code} {page.text[:300]}")
    answer = session.post(
        html.unescape(form.group(2)),
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    _insecure_cookies(session)
    answer, seen = after_password(
        session, answer, realm, username, accept_agreement=accept_agreement, otp=otp
    )
    location = answer.headers.get("Location", "")
    query = parse_qs(urlparse(location).query)
    if answer.status_code not in (302, 303) or "code" not in query:
        raise LogonRefused(f"no code: {answer.status_code} {location[:300]}")
    return Logon(
        session,
        seen.agreement,
        query["code"][0],
        verifier,
        redirect_uri,
        factor_set_up=seen.factor_set_up,
        code_asked=seen.code_asked,
    )


def tokens(
    realm: str,
    username: str,
    password: str,
    client_id: str = "lrs-portal",
    redirect_uri: str = "http://127.0.0.1:5000/callback",
    scope: str = "openid",
) -> dict[str, Any]:
    """Log on and exchange the code (with its PKCE verifier) for the user's tokens."""
    logon = log_on(realm, username, password, client_id, redirect_uri, scope=scope)
    answer = requests.post(
        f"{_base()}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": logon.code,
            "redirect_uri": redirect_uri,
            "code_verifier": logon.verifier,
        },
        timeout=30,
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def console_token(realm: str, username: str, password: str) -> str:
    """Log in to the realm's admin console as a person would; the console's access token."""
    result = tokens(
        realm,
        username,
        password,
        client_id="security-admin-console",
        redirect_uri=f"{_base()}/admin/{realm}/console/",
    )
    return str(result["access_token"])


def page_after_password(
    realm: str,
    username: str,
    password: str,
    session: requests.Session | None = None,
    client_id: str = "lrs-portal",
    redirect_uri: str = "http://127.0.0.1:5000/callback",
) -> str:
    """The first page Keycloak shows after a right password (the User Agreement, at every
    logon), as HTML; the logon goes no further."""
    session = session or requests.Session()
    _verifier, url = _authorization_url(realm, client_id, "openid", redirect_uri)
    page = session.get(url, timeout=30)
    _insecure_cookies(session)
    form = _FORM.search(page.text)
    if form is None:
        raise LogonRefused(f"no login form: {page.status_code} {page.text[:300]}")
    answer = session.post(
        html.unescape(form.group(2)),
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    _insecure_cookies(session)
    return _follow_keycloak(session, answer).text


class Tokens:
    """Real access tokens, one logon per user, fetched again shortly before they expire."""

    def __init__(self, realm: str, password: str) -> None:
        self.realm = realm
        self.password = password
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def all(self, username: str) -> dict[str, Any]:
        at, found = self._cache.get(username, (0.0, {}))
        if time.monotonic() - at > found.get("expires_in", 0) - 60:
            found = tokens(self.realm, username, self.password)
            self._cache[username] = (time.monotonic(), found)
        return found

    def access(self, username: str) -> str:
        token: str = self.all(username)["access_token"]
        return token
