"""Sign-in, sign-out and back-channel logout (OpenID Connect, ADR 11).

- ``GET /sign-in?next=/path``: to Keycloak's login (authorization code, PKCE S256, state and
  nonce kept in the signed session by authlib). ``next`` is kept only when it is a path of this
  app, never another site (no open redirect).
- ``GET /auth/callback``: the code is exchanged (client secret and PKCE verifier), the ID
  token checked (signature by the realm's keys, issuer, audience, nonce), the `Person` made.
- ``POST /sign-out`` (CSRF-checked like every form): the app's session ends, then Keycloak's
  (RP-initiated logout with ``id_token_hint`` and the exact ``post_logout_redirect_uri``), then
  "You have signed out".
- ``POST /auth/backchannel-logout``: Keycloak's logout token for a session it ended (by an
  admin, a lockout, a sign-out in another app). Its signature, issuer, audience and event are
  checked; the session id is stored so that every app process drops that session.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session
from joserfc.errors import JoseError

from lrs_keycloak.config.companion import (
    BACKCHANNEL_LOGOUT_PATH,
    CALLBACK_PATH,
    SIGNED_OUT_PATH,
)
from lrs_keycloak.web import context
from lrs_keycloak.web.signin import session as sessions
from lrs_keycloak.web.signin.claims import person_from_claims
from lrs_keycloak.web.signin.guards import current_person, public
from lrs_keycloak.web.signin.logout_token import LogoutTokenError, verify_logout_token

log = logging.getLogger(__name__)
bp = Blueprint("signin", __name__)
#: The session key for where to go once signed in.
NEXT_KEY = "lrs_next"
#: Where authlib keeps its registry on the app (``OAuth(app)``).
OAUTH_KEY = "authlib.integrations.flask_client"


def install(app: Flask) -> None:
    """Registers the realm's OpenID provider with authlib and the routes."""
    settings = context.settings(app)
    keycloak = settings.keycloak(app.config["LRS_REALM"])
    oauth = OAuth(app)
    policy = context.root(app).policy()
    oauth.register(
        "keycloak",
        client_id=str(policy.companion_client.get("clientId", "lrs-companion")),
        client_secret=settings.companion_secret(),
        server_metadata_url=(
            f"{keycloak.url.rstrip('/')}/realms/{keycloak.realm}/.well-known/openid-configuration"
        ),
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )
    app.register_blueprint(bp)


def _provider() -> Any:
    return current_app.extensions[OAUTH_KEY].keycloak


def public_url(path: str) -> str:
    return str(current_app.config["LRS_PUBLIC_URL"]).rstrip("/") + path


def safe_next(value: str | None) -> str:
    """``value`` when it is a path of this app ("/x?y"); "/" for anything else: another site
    (``https://evil``, ``//evil``, ``/\\evil``, ``javascript:``), or a control character."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 0x20 or ch == "\\" for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


@bp.get("/sign-in")
@public
def sign_in() -> Any:
    wanted = safe_next(request.args.get("next"))
    if current_person() is not None:
        return redirect(wanted)
    session[NEXT_KEY] = wanted
    return _provider().authorize_redirect(public_url(CALLBACK_PATH))


@bp.get(CALLBACK_PATH)
@public
def callback() -> Any:
    try:
        token = _provider().authorize_access_token()
    except (AuthlibBaseError, JoseError) as error:  # refused by Keycloak, or a token check
        log.warning("sign-in refused: %s", error)
        return render_template("signin/failed.html"), 400
    id_claims = token.get("userinfo") or {}
    # Straight from the token endpoint over the back channel, with the client secret: the
    # access token's claims need no second signature check here (OIDC Core §3.1.3.8).
    access_claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    policy = context.root(current_app).policy()
    person = person_from_claims(id_claims, access_claims, str(policy.client["clientId"]))
    wanted = safe_next(session.get(NEXT_KEY))
    sessions.start(person, id_claims.get("sid"), token.get("id_token"))
    return redirect(wanted)


@bp.post("/sign-out")
@public
def sign_out() -> Any:
    ended = sessions.end()
    if not ended:
        return redirect(SIGNED_OUT_PATH)
    metadata = _provider().load_server_metadata()
    query = {
        "post_logout_redirect_uri": public_url(SIGNED_OUT_PATH),
        "client_id": _provider().client_id,
    }
    if ended.get("id_token"):
        query["id_token_hint"] = ended["id_token"]
    return redirect(f"{metadata['end_session_endpoint']}?{urlencode(query)}")


@bp.get(SIGNED_OUT_PATH)
@public
def signed_out() -> Any:
    return render_template("signin/signed_out.html")


@bp.post(BACKCHANNEL_LOGOUT_PATH)
@public
def backchannel_logout() -> Any:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    token = request.form.get("logout_token", "")
    try:
        claims = verify_logout_token(
            context.token_verifier(app).jwks,
            token,
            issuer=context.token_verifier(app).issuer,
            audience=_provider().client_id,
        )
    except LogoutTokenError as error:
        log.warning("back-channel logout refused: %s", error)
        return {"error": "invalid_request", "error_description": str(error)}, 400
    sessions.store(app).end(str(claims["sid"]), datetime.now(UTC))
    return "", 200, {"Cache-Control": "no-store"}
