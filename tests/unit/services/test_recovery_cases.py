"""Opening, recording the form on and cancelling recovery cases (guide §10.2), with in-memory
collaborators: one test per rule, named after it."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.user_admin import NotPermitted
from tests.unit.services.recovery_world import (
    COLLEGE,
    HAL,
    IDA,
    PRIYA,
    World,
    form,
    world,
)

__all__ = ["world"]  # the fixture


def codes(error: pytest.ExceptionInfo[RuleViolation]) -> set[str]:
    return {v.code for v in error.value.violations}


def test_opening_a_case_emails_the_signatory_an_approval_link(world: World) -> None:
    opened = world.service.open(HAL, form())
    assert opened.new_case and opened.case["state"] == "awaiting_approval"
    [(to, subject, body)] = world.mail.sent
    assert to == PRIYA.email
    assert subject == "Approve a new LRS Super User for Anytown College (form NSU-1)"
    assert body.startswith("Dear Priya Principal,\n\nMIAP has received a New Super User Form")
    assert "Nominee: Mr Neil Newcombe, neil.newcombe@anytown.example.org" in body
    assert world.kinds() == [
        AuditKind.ORGANISATION_SIGNATORY_RECORDED,
        AuditKind.RECOVERY_OPENED,
        AuditKind.RECOVERY_LINK_SENT,
    ]


def test_only_a_help_desk_agent_handles_recovery_cases(world: World) -> None:
    olive = Actor("olive.online", COLLEGE.id, frozenset({"LRBOnlineUser"}))
    with pytest.raises(NotPermitted):
        world.service.open(olive, form())
    assert world.store.cases() == []


def test_no_case_is_opened_while_a_super_user_can_act(world: World) -> None:
    sarah = world.directory.by_name("sarah.jones")
    assert sarah is not None
    world.directory.set_enabled(sarah.id, True)
    with pytest.raises(RuleViolation) as refused:
        world.service.open(HAL, form())
    assert codes(refused) == {"super-user-can-act"}
    assert world.store.cases() == [] and world.mail.sent == []


def test_an_organisation_has_one_open_case_at_a_time(world: World) -> None:
    world.service.open(HAL, form())
    with pytest.raises(RuleViolation) as refused:
        world.service.open(IDA, form(form_reference="NSU-2"))
    assert codes(refused) == {"case-already-open"}


def test_a_case_stands_when_the_approval_email_fails(world: World) -> None:
    world.mail.broken = True
    opened = world.service.open(HAL, form())
    assert opened.case["state"] == "received"  # kept, with its form, to resend the link
    assert [w.code for w in opened.warnings] == ["email-failed"]
    assert AuditKind.RECOVERY_LINK_SENT not in world.kinds()


def test_no_link_goes_to_a_manager_who_is_not_the_signatory(world: World) -> None:
    opened = world.service.open(HAL, form(manager_email="someone@elsewhere.example.org"))
    assert opened.case["state"] == "received"
    assert "manager-not-signatory" in [w.code for w in opened.warnings]
    assert world.mail.sent == []


def test_the_form_is_recorded_on_the_case_the_enforcer_opened(world: World) -> None:
    waiting, _ = world.store.open_awaiting_form(COLLEGE.id, "lrs-enforcer", world.clock())
    recorded = world.service.open(HAL, form())
    assert not recorded.new_case and recorded.case["id"] == waiting.id
    assert recorded.warnings[0].code == "recorded-on-waiting-case"
    assert AuditKind.RECOVERY_FORM_RECORDED in world.kinds()
    assert AuditKind.RECOVERY_OPENED not in world.kinds()


def test_cancelling_needs_a_reason(world: World) -> None:
    case_id = int(world.service.open(HAL, form()).case["id"])
    with pytest.raises(RuleViolation) as refused:
        world.service.cancel(HAL, case_id, "  ")
    assert codes(refused) == {"reason-required"}
    cancelled = world.service.cancel(HAL, case_id, "the form was withdrawn")
    assert cancelled.case["state"] == "cancelled"
    [event] = world.audit.events(COLLEGE.id, action=AuditKind.RECOVERY_CANCELLED)
    assert event.reason == "the form was withdrawn"
