"""The webhook receiver down (no app listening) while console changes are made: the worker's
poller catches up on Keycloak's stored events, and when the deliveries arrive after all (the
receiver back, the extension's retry, a proxy's replay) each event is still handled once
(docs/adr/0023). The worker is a real process (`lrs-keycloak worker --once`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lrs_keycloak.composition import Root
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.store.event_claims import EventClaimRow
from lrs_keycloak.web import create_app
from lrs_keycloak.web.hooks import sign
from tests.support.people import make_person
from tests.support.store import migrated_engine

COLLEGE = Organisation("unheard-college", "Unheard College", "college", frozenset())
PEOPLE = [("Una", "Unheard"), ("Ulla", "Unsent"), ("Uri", "Undelivered")]


@pytest.fixture(scope="module")
def gw(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> KeycloakGateway:
    apply(synced_gateway, plan(synced_gateway, policy, [COLLEGE]))
    return synced_gateway


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'lrs.sqlite'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("LRS_DATABASE_URL", url)
    yield url


def _signed(app: Flask, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The extension's delivery of a stored admin event (WebhookPayloads: the same fields)."""
    body = json.dumps({"kind": "admin", **event}).encode()
    timestamp = str(int(time.time()))
    signature = sign(app.config["LRS_WEBHOOK_SECRET"], timestamp, body)
    return body, {"X-LRS-Timestamp": timestamp, "X-LRS-Signature": signature}


def test_while_the_receiver_is_down_the_poller_catches_up_and_late_deliveries_do_nothing(
    gw: KeycloakGateway, realm_name: str, store_url: str
) -> None:
    root = Root(realm=realm_name)
    try:
        root.enforcer().poll()  # the cursor starts now
        since = int(time.time() * 1000) - 1
        time.sleep(0.05)
        # Console changes while nobody receives the webhook: members with no role.
        usernames = [make_person(gw, first, last, orgs=[COLLEGE.id])[0] for first, last in PEOPLE]

        env = {**os.environ, "LRS_REALM": realm_name, "LRS_LIFECYCLE_MINUTES": "0"}
        command = [sys.executable, "-m", "lrs_keycloak.cli", "worker", "--once"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert _flagged(root) == sorted(usernames)  # nothing lost

        # The receiver is back and the deliveries come after all: each is taken, none acted on.
        app = create_app(
            {
                "TESTING": True,
                "LRS_ENFORCE": True,
                "LRS_REALM": realm_name,
                "LRS_DATABASE_URL": store_url,
            }
        )
        client = app.test_client()
        runner = app.extensions["lrs_enforcer"]
        web_enforcer = runner.enforcer()
        skipped: list[bool] = []
        handle = web_enforcer.handle

        def spied(event: dict[str, Any]) -> Any:
            outcome = handle(event)
            skipped.append(outcome.skipped)
            return outcome

        web_enforcer.handle = spied
        stored = [e for e in gw.call("GET", "/admin-events", params={"dateFrom": since})]
        assert stored
        for event in stored:
            body, headers = _signed(app, event)
            assert client.post("/hooks/keycloak", data=body, headers=headers).status_code == 204
        runner._worker.shutdown(wait=True)  # the deliveries' handling is over
        assert skipped == [True] * len(stored)  # each one reached the enforcer, which left it
        assert _flagged(root) == sorted(usernames)  # nothing twice
        with Session(root.engine()) as session:
            claims = session.scalars(select(EventClaimRow)).all()
            keys = {f"admin:{e['id']}" for e in stored}
            assert {c.key for c in claims} >= keys
            assert all(c.done_at is not None and c.attempts == 1 for c in claims)
        from lrs_keycloak.web import context

        context.engine(app).dispose()
    finally:
        root.engine().dispose()


def _flagged(root: Root) -> list[str]:
    events = root.enforcer().audit.events(organisation_id=COLLEGE.id)
    return sorted(
        str(e.target)
        for e in events
        if e.action == AuditKind.ENFORCER_FLAG_RAISED and e.reference == "no-role"
    )
