"""A worker process killed (SIGKILL) while it handles an event: another worker takes the event
up once the lease runs out, and it is handled once (docs/adr/0023). Real processes: the killed
one (multiprocessing, spawn) and `lrs-keycloak worker --once` (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lrs_keycloak.composition import Root
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.store.event_claims import EventClaimRow
from tests.support.people import make_person
from tests.support.postgres import own_schema
from tests.support.processes import poll_and_hang, spawn
from tests.support.store import migrated_engine

COLLEGE = Organisation("killed-college", "Killed College", "college", frozenset())
#: Long enough for a worker process to start and poll within it.
LEASE_SECONDS = 6.0


@pytest.fixture(scope="module")
def gw(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> KeycloakGateway:
    apply(synced_gateway, plan(synced_gateway, policy, [COLLEGE]))
    return synced_gateway


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lrs.sqlite'}"
        migrated_engine(url).dispose()
        yield url
        return
    with own_schema(request.getfixturevalue("postgres_url")) as url:
        migrated_engine(url).dispose()
        yield url


def _worker_once(realm: str, store_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LRS_REALM": realm,
        "LRS_DATABASE_URL": store_url,
        "LRS_EVENT_LEASE_SECONDS": str(LEASE_SECONDS),
        "LRS_LIFECYCLE_MINUTES": "0",
    }
    command = [sys.executable, "-m", "lrs_keycloak.cli", "worker", "--once"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_an_event_whose_worker_was_killed_is_handled_once_by_another(
    gw: KeycloakGateway, realm_name: str, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRS_DATABASE_URL", store_url)
    root = Root(realm=realm_name)
    try:
        _killed_then_taken_up(gw, root, realm_name, store_url)
    finally:
        root.engine().dispose()


def _killed_then_taken_up(gw: KeycloakGateway, root: Root, realm_name: str, store_url: str) -> None:
    root.enforcer().poll()  # the cursor starts now
    time.sleep(0.05)
    # A console change the enforcer must react to: a member of the college with no role.
    family = "Killed" if store_url.startswith("sqlite") else "Slain"
    username, _ = make_person(gw, "Kim", family, orgs=[COLLEGE.id])

    context = spawn()
    claimed = context.Event()
    doomed = context.Process(
        target=poll_and_hang, args=(realm_name, store_url, LEASE_SECONDS, claimed)
    )
    doomed.start()
    try:
        assert claimed.wait(30), "the first worker never took the event"
    finally:
        doomed.kill()  # SIGKILL: no clean-up of any kind
        doomed.join(10)
    assert doomed.exitcode == -9

    (killed,) = _open_claims(root)
    # Within the lease, another worker leaves that event alone (its worker may still be on it),
    # and handles any other event of the change.
    early = _worker_once(realm_name, store_url)
    assert early.returncode == 0, early.stderr
    assert [c.key for c in _open_claims(root)] == [killed.key]
    time.sleep(max(0.0, (killed.lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
    late = _worker_once(realm_name, store_url)
    assert late.returncode == 0, late.stderr
    assert _open_claims(root) == []
    taken = _claim(root, killed.key)
    assert taken.done_at is not None and taken.attempts == 2 and taken.owner != killed.owner
    # Nothing lost, nothing twice: the user is flagged, once.
    assert _raised(root, username) == ["no-role"]


def _open_claims(root: Root) -> list[EventClaimRow]:
    with Session(root.engine()) as session:
        return list(session.scalars(select(EventClaimRow).where(EventClaimRow.done_at.is_(None))))


def _claim(root: Root, key: str) -> EventClaimRow:
    with Session(root.engine()) as session:
        row = session.get(EventClaimRow, key)
        assert row is not None
        return row


def _raised(root: Root, username: str) -> list[str | None]:
    events = root.enforcer().audit.events(organisation_id=COLLEGE.id)
    return [
        e.reference
        for e in events
        if e.action == AuditKind.ENFORCER_FLAG_RAISED and e.target == username
    ]
