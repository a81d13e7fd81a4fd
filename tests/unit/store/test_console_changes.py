"""Console changes are recorded once per Keycloak event, and a reason added once (ADR 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.console_changes import ConsoleChanges
from lrs_keycloak.store.db import make_engine

MADE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _suspension(org: str = "elm") -> AuditEvent:
    return AuditEvent(AuditKind.USER_SUSPENDED, "sue.elm", org, "pat.elm", at=MADE)


def test_the_same_keycloak_event_is_recorded_once_whichever_delivery_comes_second() -> None:
    engine = make_engine("sqlite://")
    store, log = ConsoleChanges(engine), AuditLog(engine)
    assert store.record("kc-1", [(_suspension(), "reason")]) is not None
    assert store.record("kc-1", [(_suspension(), "reason")]) is None
    assert len(log.events("elm")) == 1
    assert store.recorded("kc-1")


def test_a_reason_is_added_once_and_both_times_are_kept() -> None:
    engine = make_engine("sqlite://")
    store = ConsoleChanges(engine)
    store.record("kc-2", [(_suspension(), "reason")])
    (owed,) = store.changes("elm", needing_reason=True)
    later = MADE + timedelta(hours=3)
    reason = AuditEvent(AuditKind.CONSOLE_CHANGE_REASON_ADDED, "sue.elm", "elm", at=later)
    added = store.add_reason(owed.id, reason)
    assert added is not None and added.at == later
    assert store.add_reason(owed.id, reason) is None
    assert len(AuditLog(engine).events("elm")) == 2  # the refused second reason left nothing
    (done,) = store.changes("elm")
    assert (done.made_at, done.reason_added_at, done.needs_reason) == (MADE, later, False)
    assert store.changes("elm", needing_reason=True) == []


def test_another_organisations_change_is_not_found() -> None:
    store = ConsoleChanges(make_engine("sqlite://"))
    store.record("kc-3", [(_suspension("elm"), "reason")])
    (owed,) = store.changes("elm")
    assert store.change("oak", owed.id) is None
    assert store.change("elm", owed.id) == owed
