"""Each Keycloak event claimed by one process at a time and done once (store.event_claims), on
SQLite and on PostgreSQL, with claims racing from many threads (each with its own connection)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Barrier

import pytest

from lrs_keycloak.store.event_claims import MAX_ATTEMPTS, EventClaims, event_key
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine

EVENT = {"kind": "admin", "id": "e-1", "resourceType": "USER", "resourcePath": "users/x"}
LEASE = timedelta(seconds=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def claims(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventClaims]:
    if request.param == "sqlite":
        engine = migrated_engine(f"sqlite:///{tmp_path / 'store.db'}")
        yield EventClaims(engine, LEASE)
        engine.dispose()
        return
    with own_schema(request.getfixturevalue("postgres_url")) as url:
        engine = migrated_engine(url)
        try:
            yield EventClaims(engine, LEASE)
        finally:
            engine.dispose()


def test_the_webhook_and_the_poller_name_an_event_alike() -> None:
    delivered = {"kind": "admin", "id": "abc", "resourceType": "USER"}
    stored = {"id": "abc", "resourceType": "USER", "operationType": "UPDATE"}
    assert event_key(delivered) == event_key(stored) == "admin:abc"
    assert event_key({"kind": "login", "id": "abc", "type": "LOGIN"}) == "login:abc"
    assert event_key({"id": "abc", "type": "USER_DISABLED_BY_PERMANENT_LOCKOUT"}) == "login:abc"
    assert event_key({"kind": "admin"}) is None


def test_one_of_many_racing_claims_wins(claims: EventClaims) -> None:
    now = datetime.now(UTC)
    start = Barrier(8)

    def claim(n: int) -> bool:
        start.wait()
        return claims.claim("admin:race", EVENT, f"p{n}", now)

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, range(8)))
    assert won.count(True) == 1


def test_a_done_event_is_never_claimed_again(claims: EventClaims) -> None:
    now = datetime.now(UTC)
    assert claims.claim("admin:e-1", EVENT, "a", now)
    assert claims.done("admin:e-1", "a", now)
    later = now + 10 * LEASE
    assert not claims.claim("admin:e-1", EVENT, "b", later)
    assert claims.take_abandoned("b", later) == []


def test_a_live_lease_keeps_others_off_and_an_expired_one_is_taken_up(
    claims: EventClaims,
) -> None:
    now = datetime.now(UTC)
    assert claims.claim("admin:e-1", EVENT, "dead", now)
    assert not claims.claim("admin:e-1", EVENT, "b", now + LEASE / 2)
    assert claims.take_abandoned("b", now + LEASE / 2) == []
    taken = claims.take_abandoned("b", now + 2 * LEASE)
    assert [(t.key, t.event, t.attempts) for t in taken] == [("admin:e-1", EVENT, 2)]
    # The process that lost its lease cannot mark the event done any more: "b" finishes it.
    assert not claims.done("admin:e-1", "dead", now + 2 * LEASE)
    assert claims.done("admin:e-1", "b", now + 2 * LEASE)


def test_abandoned_claims_are_taken_by_one_process(claims: EventClaims) -> None:
    now = datetime.now(UTC)
    for n in range(5):
        assert claims.claim(f"admin:e-{n}", {**EVENT, "id": f"e-{n}"}, "dead", now)
    start = Barrier(4)

    def take(n: int) -> list[str]:
        start.wait()
        return [t.key for t in claims.take_abandoned(f"p{n}", now + 2 * LEASE)]

    with ThreadPoolExecutor(4) as pool:
        taken = [key for keys in pool.map(take, range(4)) for key in keys]
    assert sorted(taken) == [f"admin:e-{n}" for n in range(5)]


def test_a_released_claim_is_retried_until_its_attempts_run_out(claims: EventClaims) -> None:
    now = datetime.now(UTC)
    assert claims.claim("admin:bad", EVENT, "a", now)
    for attempt in range(1, MAX_ATTEMPTS):
        claims.release("admin:bad", f"p{attempt - 1}" if attempt > 1 else "a", now)
        now += timedelta(seconds=1)
        taken = claims.take_abandoned(f"p{attempt}", now)
        assert [t.attempts for t in taken] == [attempt + 1]
    claims.release("admin:bad", f"p{MAX_ATTEMPTS - 1}", now)
    assert claims.take_abandoned("q", now + timedelta(seconds=1)) == []
    assert claims.state("admin:bad") is not None
