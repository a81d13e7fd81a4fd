"""Helpers for tests of the companion app's pages: an app with fakes in place, a person put
in the test client's session without Keycloak, and the CSRF token every form post needs."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.people import Person
from lrs_keycloak.web.signin.guards import SESSION_KEY

ORG = "org-a"
OTHER_ORG = "org-b"
#: The personas of the permission matrix (docs/permissions.md).
PERSONAS = ("plain", "super_user", "other_super_user", "helpdesk")


def pages_app(config: dict[str, Any] | None = None, **parts: object) -> Flask:
    """The app as the unit tests of pages use it: in-memory store, CSRF on, ``parts`` (e.g.
    ``user_admin=fake``) in place of the ones it would build (`context.provide`)."""
    app = create_app(
        {
            "TESTING": True,
            "LRS_REALM": "lrs-unit",
            "LRS_DATABASE_URL": "sqlite://",
            **(config or {}),
        }
    )
    if parts:
        context.provide(app, **parts)
    return app


def persona(kind: str, org: str = ORG) -> Person:
    """A ready Person: ``plain`` (a user of ``org``), ``super_user`` (of ``org``),
    ``other_super_user`` (of another organisation), ``helpdesk`` (an agent, no organisation)."""
    if kind == "plain":
        return Person(
            "u-plain",
            "pat.plain",
            "Pat Plain",
            "pat@example.org",
            (org,),
            frozenset({"LRBOnlineUser"}),
        )
    if kind == "super_user":
        return Person(
            "u-super", "sam.super", "Sam Super", "sam@example.org", (org,), frozenset({SUPER_USER})
        )
    if kind == "other_super_user":
        other = OTHER_ORG if org != OTHER_ORG else ORG
        return Person(
            "u-other",
            "oli.other",
            "Oli Other",
            "oli@example.org",
            (other,),
            frozenset({SUPER_USER}),
        )
    if kind == "helpdesk":
        return Person("u-help", "hal.help", "Hal Help", "hal@example.org", helpdesk=True)
    raise ValueError(f"unknown persona {kind!r}; one of {PERSONAS}")


def sign_in(client: FlaskClient, person: Person, *, sid: str | None = None) -> str:
    """Puts ``person`` in the client's session as a sign-in would; returns the session id."""
    sid = sid or str(uuid.uuid4())
    now = int(time.time())
    with client.session_transaction() as session:
        session.permanent = True
        session[SESSION_KEY] = {
            "person": person.to_record(),
            "sid": sid,
            "id_token": "test-id-token",
            "seen": now,
            "ends": now + 36000,
        }
    return sid


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token a form of this client's session carries (as ``csrf_field()`` makes it)."""
    app = client.application
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", uuid.uuid4().hex)
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    return str(serializer.dumps(raw))
