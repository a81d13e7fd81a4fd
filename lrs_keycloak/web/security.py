"""What every browser-facing response and form post gets (issue 11, ADR 11).

- CSRF: every POST carries the session's token (flask-wtf's `CSRFProtect`; forms include it
  with the Jinja global ``csrf_field()``). Exempt: the JSON API (``/api/``, bearer tokens),
  the webhook (``/hooks/``, HMAC), Keycloak's back-channel logout (a signed logout token, no
  browser) and the senior manager's approval link (the link's own signed token is the secret
  a forger lacks; the senior manager has no session).
- Rate limit of form posts: ``LRS_FORM_POSTS_PER_MINUTE`` per session (else per address) and
  minute, counted in the store (`store.web_sessions`) so that it holds across app processes.
  A counter table in the database the app already has, rather than flask-limiter, whose shared
  storages (Redis, Memcached, MongoDB) would be a new server to run.
- Security headers: a CSP without inline script or style, framing refused, no referrer,
  no MIME sniffing.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, render_template, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup, escape

from lrs_keycloak.config.companion import BACKCHANNEL_LOGOUT_PATH
from lrs_keycloak.web import context
from lrs_keycloak.web.signin import session as sessions
from lrs_keycloak.web.signin.guards import current_person

#: Paths whose POSTs are not browser forms of a session (see the module's docstring).
CSRF_EXEMPT = ("/api/", "/hooks/", BACKCHANNEL_LOGOUT_PATH, "/recovery/approve/")
#: Form posts one session (or address) may make in a minute.
FORM_POSTS_PER_MINUTE = 30
WINDOW_SECONDS = 60


def content_security_policy(keycloak_origin: str) -> str:
    # form-action names Keycloak: sign-out is a form whose answer redirects there, and
    # browsers apply form-action to the redirects that follow a submission.
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {keycloak_origin}".rstrip(),
            "frame-ancestors 'none'",
        )
    )


def install(app: Flask) -> None:
    settings = context.settings(app)
    app.config.setdefault("LRS_FORM_POSTS_PER_MINUTE", FORM_POSTS_PER_MINUTE)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or settings.signing_key()
    # The token is checked below, on our own paths; it lasts as long as the session.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    csrf = CSRFProtect(app)
    keycloak = settings.keycloak(app.config["LRS_REALM"])
    policy = content_security_policy(_origin(keycloak.public_url or keycloak.url))

    def _protect() -> Any:
        if request.method != "POST" or request.path.startswith(CSRF_EXEMPT):
            return None
        refused = _rate_limited()
        if refused is not None:
            return refused
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        return None

    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    app.before_request(_protect)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["current_person"] = current_person


def csrf_field() -> Markup:
    """The hidden field with this session's CSRF token, for every POST form."""
    token = escape(generate_csrf())
    return Markup(f'<input type="hidden" name="csrf_token" value="{token}">')


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _rate_limited() -> Response | None:
    record = sessions.record()
    who = f"sid:{record['sid']}" if record and record.get("sid") else f"ip:{request.remote_addr}"
    window = int(time.time()) // WINDOW_SECONDS
    count = sessions.store(current_app).count(who[:128], window)
    limit = int(current_app.config["LRS_FORM_POSTS_PER_MINUTE"])
    if count <= limit:
        return None
    retry = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS
    body = render_template(
        "signin/refused.html",
        title="Too many requests",
        message="You have sent too many forms in a short time. Wait a minute, then try again.",
    )
    return Response(body, status=429, headers={"Retry-After": str(retry)}, mimetype="text/html")


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    session.modified = True  # a fresh token goes out with the answer
    body = render_template(
        "signin/refused.html",
        title="This form has expired",
        message="The form was not sent: it had expired or did not come from this service. "
        "Go back, reload the page and try again.",
    )
    return body, 400
