"""The app's session: Flask's signed cookie holding only a minimal record, so that any app
process serves any request with nothing kept in memory (ADR 11).

The record (``session["lrs"]``): the person (`Person.to_record`), Keycloak's session id
(``sid``, matched against back-channel logouts), the ID token (the ``id_token_hint`` of
RP-initiated logout: about 1.5 kB, so the cookie stays well under 4 kB), when it was last used
(``seen``) and when it must end (``ends``: the realm's maximum session lifespan after sign-in).

Each request first drops a record that is idle longer than the realm's SSO session idle
timeout, past its end, or whose Keycloak session was ended (`store.web_sessions`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import Flask, current_app, g, session

from lrs_keycloak.web import context
from lrs_keycloak.web.people import Person
from lrs_keycloak.web.signin.guards import SESSION_KEY

#: Seconds between two refreshes of ``seen`` (a cookie rewritten on every request is waste).
SEEN_GRANULARITY = 30


@dataclass(frozen=True)
class Lifetimes:
    """The realm's SSO session idle timeout and maximum lifespan, in seconds (realm.yaml)."""

    idle: int
    maximum: int


def lifetimes(app: Flask) -> Lifetimes:
    def build() -> Lifetimes:
        realm = context.root(app).policy().settings
        return Lifetimes(
            int(realm.get("ssoSessionIdleTimeout", 1800)),
            int(realm.get("ssoSessionMaxLifespan", 36000)),
        )

    return context.shared(app, "session_lifetimes", build)


class SessionLedger(Protocol):
    """What every app process shares about sessions (`store.web_sessions`, built by the
    composition root)."""

    def end(self, sid: str, at: datetime) -> None: ...
    def is_ended(self, sid: str) -> bool: ...
    def count(self, key: str, window: int) -> int: ...


def store(app: Flask) -> SessionLedger:
    return context.root(app).web_sessions()


def start(person: Person, sid: str | None, id_token: str | None) -> None:
    """A new session for ``person`` (anything from before, such as a stale login, is dropped)."""
    now = int(time.time())
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = {
        "person": person.to_record(),
        "sid": sid,
        "id_token": id_token,
        "seen": now,
        "ends": now + lifetimes(current_app).maximum,
    }
    g.pop("lrs_person", None)


def record() -> dict[str, Any] | None:
    found: dict[str, Any] | None = session.get(SESSION_KEY)
    return found


def end() -> dict[str, Any] | None:
    """Ends this session; returns its record (for the logout hint), if there was one."""
    found = record()
    session.clear()
    g.lrs_person = None
    return found


def _check() -> None:
    found = record()
    if found is None:
        return
    now = int(time.time())
    limits = lifetimes(current_app)
    sid = found.get("sid")
    if (
        now - int(found.get("seen", 0)) > limits.idle
        or now >= int(found.get("ends", 0))
        or (sid and store(current_app).is_ended(str(sid)))
    ):
        end()
    elif now - int(found["seen"]) >= SEEN_GRANULARITY:
        found["seen"] = now
        session.modified = True


def install(app: Flask) -> None:
    """Cookie flags and the per-request check. The cookie is Secure when the app is served
    over HTTPS (``LRS_PUBLIC_URL``), so plain-HTTP local development still works."""
    app.config.update(
        SESSION_COOKIE_NAME="lrs_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config["LRS_PUBLIC_URL"]).startswith("https://"),
        # The browser may keep the cookie this long; `_check` enforces the idle timeout.
        PERMANENT_SESSION_LIFETIME=lifetimes(app).idle,
    )
    app.before_request(_check)
