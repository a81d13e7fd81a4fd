"""A browser-flow logon over plain HTTP (no browser): login form, User Agreement, code, tokens.

Direct-access grants are off for LRS clients and the every-logon agreement refuses password
grants anyway, so tests and benchmarks that need a user's token log on as a browser does.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from lrs_keycloak.settings import keycloak_settings

_FORM = re.compile(r'<form[^>]*id="(kc-form-login|lrs-agreement-form)"[^>]*action="([^"]+)"')


def _base() -> str:
    # The Keycloak the admin gateway talks to (LRS_KEYCLOAK_URL), so that benchmarks can run
    # against another server, e.g. one on PostgreSQL.
    return keycloak_settings().url.rstrip("/")


class LogonRefused(AssertionError):
    """Keycloak did not issue a code; the message says what it showed instead."""


@dataclass
class Logon:
    """The outcome of one logon: whether the agreement was shown, the code, the session."""

    session: requests.Session
    agreement_shown: bool
    code: str
    verifier: str
    redirect_uri: str


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


def log_on(
    realm: str,
    username: str,
    password: str,
    client_id: str = "lrs-portal",
    redirect_uri: str = "http://127.0.0.1:5000/callback",
    accept_agreement: bool = True,
    scope: str = "openid",
) -> Logon:
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
    session = requests.Session()
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
    answer = _follow_keycloak(session, answer)
    shown = False
    if answer.status_code == 200:
        form = _FORM.search(answer.text)
        if form is None or form.group(1) != "lrs-agreement-form":
            raise LogonRefused(f"unexpected page after the password: {answer.text[:400]}")
        shown = True
        choice = {"accept": "accept"} if accept_agreement else {"cancel": "cancel"}
        answer = session.post(
            html.unescape(form.group(2)), data=choice, allow_redirects=False, timeout=30
        )
        _insecure_cookies(session)
        answer = _follow_keycloak(session, answer)
    location = answer.headers.get("Location", "")
    query = parse_qs(urlparse(location).query)
    if answer.status_code not in (302, 303) or "code" not in query:
        raise LogonRefused(f"no code: {answer.status_code} {location[:300]}")
    return Logon(session, shown, query["code"][0], verifier, redirect_uri)


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
