"""The audit log keeps what the domain accepts, and gives back an event whose change failed."""

from __future__ import annotations

from lrs_keycloak.domain.users import MAX_REFERENCE_LENGTH
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.models import AuditEventRow


def test_the_reference_column_is_as_long_as_the_longest_reference_the_domain_accepts() -> None:
    assert AuditEventRow.__table__.c.reference.type.length == MAX_REFERENCE_LENGTH


def test_withdrawing_an_event_removes_that_event_only() -> None:
    log = AuditLog(make_engine("sqlite://"))
    kept = log.record(AuditEvent("user_suspended", "sue", "org", target="olive"))
    gone = log.record(AuditEvent("user_removed", "sue", "org", target="olive"))
    assert gone.id is not None
    log.withdraw(gone.id)
    assert [e.id for e in log.events("org")] == [kept.id]
