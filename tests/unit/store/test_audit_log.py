"""The audit log keeps one event per change from a fixed catalogue (Signon's EventLog)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrs_keycloak.store.audit import EVENTS, AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine


@pytest.fixture
def log() -> AuditLog:
    return AuditLog(make_engine("sqlite://"))


def test_event_catalogue_ids_are_stable_and_unique() -> None:
    assert len({e.id for e in EVENTS}) == len({e.name for e in EVENTS}) == len(EVENTS)
    assert [(e.id, e.name) for e in EVENTS][:7] == [
        (1, "user_created"),
        (2, "user_details_updated"),
        (3, "user_roles_changed"),
        (4, "user_suspended"),
        (5, "user_reinstated"),
        (6, "user_removed"),
        (7, "organisation_registered"),
    ]


def test_event_catalogue_recovery_and_enforcer_ids_are_pinned() -> None:
    # Reports over years of history read these ids: appended to, never renumbered.
    ids = {e.name: e.id for e in EVENTS}
    assert {name: ids[name] for name in ids if 100 <= ids[name] < 300} == {
        "recovery_opened": 100,
        "recovery_link_sent": 101,
        "recovery_approved": 102,
        "recovery_rejected": 103,
        "recovery_expired": 104,
        "recovery_completed": 105,
        "recovery_cancelled": 106,
        "primary_contact_changed": 107,
        "recovery_form_recorded": 108,
        "recovery_completion_taken_over": 109,
        "enforcer_flag_raised": 200,
        "enforcer_role_removed": 201,
        "enforcer_user_disabled": 202,
        "enforcer_helpdesk_alerted": 203,
        "enforcer_flag_resolved": 204,
        "enforcer_recovery_opened": 205,
        "enforcer_recovery_cancelled": 206,
        "enforcer_super_user_restored": 207,
    }


def test_unknown_event_is_refused(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="unknown audit event"):
        log.record(AuditEvent("user_teleported", "alice", "org"))


def test_events_are_filtered_by_organisation_newest_first(log: AuditLog) -> None:
    log.record(AuditEvent("user_created", "a", "org-a", target="x.y", details={"roles": ["R"]}))
    log.record(AuditEvent("user_suspended", "a", "org-a", target="x.y", reason="left"))
    log.record(AuditEvent("user_created", "b", "org-b", target="p.q"))
    events = log.events("org-a")
    assert [e.action for e in events] == ["user_suspended", "user_created"]
    assert events[0].reason == "left"
    assert events[1].details == {"roles": ["R"]}
    assert events[0].at is not None and events[0].at.tzinfo is not None


def test_sqlite_file_store_persists_across_engines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    AuditLog(make_engine(url)).record(AuditEvent("user_removed", "op", "org", target="x.y"))
    assert [e.action for e in AuditLog(make_engine(url)).events("org")] == ["user_removed"]
