"""Every kind of audit event is in the catalogue once, with its own id."""

from __future__ import annotations

from lrs_keycloak.domain.audit import EVENTS, EVENTS_BY_NAME, AuditKind


def test_every_audit_kind_is_in_the_catalogue_once() -> None:
    assert sorted(e.name for e in EVENTS) == sorted(AuditKind)
    assert len({e.id for e in EVENTS}) == len(EVENTS)


def test_a_kind_is_found_by_the_text_the_log_stores() -> None:
    assert EVENTS_BY_NAME["user_created"].name is AuditKind.USER_CREATED
    assert AuditKind("enforcer_flag_raised") is AuditKind.ENFORCER_FLAG_RAISED
