"""Each event handled once across the app's processes (docs/adr/0023): two enforcers on one
store stand for two processes (a web worker's webhook thread and `lrs-keycloak worker`, or two
workers); tests/faults/test_worker_killed.py does the same with real processes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.services.enforcement import CHECKS_LOCK, Enforcer
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.event_claims import EventClaims, event_key
from lrs_keycloak.store.locks import engine_locks
from lrs_keycloak.store.recovery import RecoveryStore
from tests.support.store import migrated_engine
from tests.unit.services.fake_console import FakeConsole
from tests.unit.services.test_enforcer import COLLEGE, Clock, console  # noqa: F401

LEASE = timedelta(seconds=120)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def process(
    directory: FakeConsole,
    policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
) -> Enforcer:
    """One of the app's processes: its own enforcer and claim owner, the shared store."""
    return Enforcer(
        directory,
        policy,
        AuditLog(engine),
        EnforcementStore(engine),
        RecoveryStore(engine),
        now=clock,
        claims=EventClaims(engine, LEASE),
    )


def raised(enforcer: Enforcer) -> list[str | None]:
    kinds = [e for e in enforcer.audit.events() if e.action == AuditKind.ENFORCER_FLAG_RAISED]
    return [e.target for e in kinds]


def test_an_event_delivered_by_the_webhook_is_not_handled_again_by_the_poller(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
) -> None:
    web, worker = (process(console, realm_policy, engine, clock) for _ in range(2))
    assert worker.poll() == 0  # sets the cursors
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    event = console.console_change(idle)
    assert not web.handle(event).skipped
    assert web.handle(event).skipped  # the same delivery again, e.g. to another web worker
    assert worker.poll() == 0
    assert raised(web) == ["ian.idle"]


def test_an_event_whose_process_died_is_taken_up_once_its_lease_runs_out(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
) -> None:
    dead, worker = (process(console, realm_policy, engine, clock) for _ in range(2))
    assert worker.poll() == 0
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    event = console.console_change(idle)
    key = event_key(event)
    assert key is not None
    # The dead process claimed the event and was killed before handling it.
    assert dead.once is not None and dead.once.claims.claim(key, event, dead.once.owner, clock())
    assert worker.poll() == 0  # its lease still runs: the poller leaves it (cursor moves on)
    assert raised(worker) == []
    clock.offset += LEASE + timedelta(seconds=1)
    assert worker.poll() == 1  # taken up from the claim, though the cursor is past it
    assert worker.poll() == 0
    assert raised(worker) == ["ian.idle"]
    claims = EventClaims(engine, LEASE)
    state = claims.state(key)
    assert (
        state is not None
        and worker.once is not None
        and state[0] == worker.once.owner
        and state[1] == 2
        and state[2]
    )


def test_an_event_whose_handling_failed_is_retried_at_the_next_poll(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web, worker = (process(console, realm_policy, engine, clock) for _ in range(2))
    assert worker.poll() == 0
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    event = console.console_change(idle)

    def unreachable(user_id: str) -> None:
        raise ConnectionError("Keycloak stopped")

    with monkeypatch.context() as patched:
        patched.setattr(console, "user_by_id", unreachable)
        with pytest.raises(ConnectionError):
            web.handle(event)
    clock.offset += timedelta(seconds=1)
    assert worker.poll() == 1
    assert raised(worker) == ["ian.idle"]


def test_without_claims_each_event_is_handled_where_it_arrives(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
) -> None:
    alone = Enforcer(
        console,
        realm_policy,
        AuditLog(engine),
        EnforcementStore(engine),
        RecoveryStore(engine),
        now=clock,
    )
    event = console.console_change(console.person("Ian", "Idle", [COLLEGE.id], []))
    assert not alone.handle(event).skipped
    assert not alone.handle(event).skipped


def test_checks_take_turns_across_processes(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
) -> None:
    """Two events about one organisation handled at once by two processes would both find it
    without an active super user and both alert: the checks take the store's lock in turn."""
    locks = engine_locks(engine)
    worker = process(console, realm_policy, engine, clock)
    worker.locks = locks
    event = console.console_change(console.person("Ian", "Idle", [COLLEGE.id], []))
    finished = threading.Event()
    with locks(CHECKS_LOCK):  # another process is checking
        threading.Thread(target=lambda: (worker.handle(event), finished.set())).start()
        assert not finished.wait(0.5)
    assert finished.wait(10)
    assert raised(worker) == ["ian.idle"]


def test_an_abandoned_event_failing_again_does_not_hold_up_the_others(
    console: FakeConsole,  # noqa: F811
    realm_policy: RealmPolicy,
    engine: Engine,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead, worker = (process(console, realm_policy, engine, clock) for _ in range(2))
    assert worker.poll() == 0
    first = console.person("Ian", "Idle", [COLLEGE.id], [])
    second = console.person("Ivy", "Idle", [COLLEGE.id], [])
    for user in (first, second):
        event = console.console_change(user)
        key = event_key(event)
        assert key is not None and dead.once is not None
        assert dead.once.claims.claim(key, event, dead.once.owner, clock())
    assert worker.poll() == 0  # live leases: left, and the cursor moves past them
    clock.offset += LEASE + timedelta(seconds=1)
    found = console.user_by_id

    def first_unreachable(user_id: str) -> Any:
        if user_id == first.id:
            raise ConnectionError("Keycloak stopped")
        return found(user_id)

    with monkeypatch.context() as patched:
        patched.setattr(console, "user_by_id", first_unreachable)
        assert worker.poll() == 1
    assert raised(worker) == ["ivy.idle"]
    clock.offset += timedelta(seconds=1)
    assert worker.poll() == 1
    assert sorted(raised(worker)) == ["ian.idle", "ivy.idle"]
