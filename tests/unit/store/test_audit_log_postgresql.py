"""The audit-log tests again on PostgreSQL, when the test command provides one.

``LRS_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://lrs_test:…@127.0.0.1:5432/lrs_test``)
names a database the tests may write to; each test gets its own schema, dropped afterwards, so
runs never see each other's events even on a shared database. Without the variable these tests
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from lrs_keycloak.store.audit import AuditEvent, AuditLog
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine

# The same tests as on SQLite, collected here with this module's PostgreSQL `log` fixture.
from tests.unit.store.test_audit_log import (  # noqa: F401
    test_events_are_filtered_by_organisation_newest_first,
    test_unknown_event_is_refused,
)


@pytest.fixture
def log(postgres_url: str) -> Iterator[AuditLog]:
    with own_schema(postgres_url) as url:
        engine = migrated_engine(url)
        try:
            assert engine.dialect.name == "postgresql"
            yield AuditLog(engine)
        finally:
            engine.dispose()


def test_postgresql_keeps_time_zone_details_and_unicode(log: AuditLog) -> None:
    at = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    log.record(
        AuditEvent(
            "user_created",
            "siobhán.oneill",
            "org",
            target="zoë.nguyễn",
            details={"roles": ["LRBOnlineUser"], "note": "Zoë"},
            at=at,
        )
    )
    [event] = log.events("org")
    assert event.at is not None and event.at.utcoffset() == timedelta(0)
    assert event.at == at
    assert (event.actor, event.target) == ("siobhán.oneill", "zoë.nguyễn")
    assert event.details == {"roles": ["LRBOnlineUser"], "note": "Zoë"}


def test_postgresql_concurrent_writers_all_recorded(log: AuditLog) -> None:
    def write(i: int) -> int | None:
        return log.record(AuditEvent("user_created", "sue", "org", target=f"user.{i}")).id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = list(pool.map(write, range(40)))
    assert len(set(ids)) == 40
    assert {e.target for e in log.events("org")} == {f"user.{i}" for i in range(40)}
