"""The senior manager's answer, by the single-use link or on paper through a second agent, with
in-memory collaborators: one test per rule, named after it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.services.recovery import LINK_LIFETIME, LinkRefused
from tests.unit.services.recovery_world import HAL, IDA, World, form, world

__all__ = ["world"]  # the fixture

IP = "203.0.113.7"


def test_the_senior_manager_approves_once_by_the_link(world: World) -> None:
    world.service.open(HAL, form())
    token = world.mail.token()
    approved = world.service.decide_by_link(token, approve=True, ip=IP)
    assert approved["state"] == "approved"
    with pytest.raises(LinkRefused) as again:
        world.service.decide_by_link(token, approve=True, ip=IP)
    assert again.value.code == "link-used"
    [event] = world.audit.events(action=AuditKind.RECOVERY_APPROVED)
    assert event.details["ip"] == IP and event.details["method"] == "link"


def test_viewing_the_link_changes_nothing(world: World) -> None:
    case_id = int(world.service.open(HAL, form()).case["id"])
    shown = world.service.view_link(world.mail.token())
    assert shown["organisation_name"] == "Anytown College"
    assert world.service.show(HAL, case_id)["state"] == "awaiting_approval"


def test_a_rejection_closes_the_case(world: World) -> None:
    world.service.open(HAL, form())
    rejected = world.service.decide_by_link(world.mail.token(), approve=False, ip=IP)
    assert rejected["state"] == "rejected"
    assert world.kinds()[-1] == AuditKind.RECOVERY_REJECTED
    assert world.service.failed_requests("anytown-college") == 1


def test_a_link_expires_unanswered(world: World) -> None:
    world.service.open(HAL, form())
    world.clock.offset = LINK_LIFETIME + timedelta(minutes=1)
    with pytest.raises(LinkRefused) as refused:
        world.service.decide_by_link(world.mail.token(), approve=True, ip=IP)
    assert refused.value.code == "link-expired"
    assert world.kinds()[-1] == AuditKind.RECOVERY_EXPIRED


def test_a_forged_link_is_refused(world: World) -> None:
    world.service.open(HAL, form())
    with pytest.raises(LinkRefused) as refused:
        world.service.view_link(world.mail.token() + "x")
    assert refused.value.code == "link-invalid"


def test_a_new_link_replaces_the_previous_one(world: World) -> None:
    case_id = int(world.service.open(HAL, form()).case["id"])
    first = world.mail.token()
    world.service.send_link(HAL, case_id)
    with pytest.raises(LinkRefused) as refused:
        world.service.view_link(first)
    assert refused.value.code == "link-invalid"
    assert world.service.view_link(world.mail.token())["id"] == case_id


def test_the_agent_who_raised_a_case_cannot_record_its_paper_approval(world: World) -> None:
    case_id = int(world.service.open(HAL, form(), send_link=False).case["id"])
    with pytest.raises(RuleViolation) as refused:
        world.service.record_paper_approval(HAL, case_id, "SCAN-1")
    assert {v.code for v in refused.value.violations} == {"own-case"}
    approved = world.service.record_paper_approval(IDA, case_id, "SCAN-1")
    assert approved.case["state"] == "approved"


def test_a_paper_approval_names_its_scan(world: World) -> None:
    case_id = int(world.service.open(HAL, form(), send_link=False).case["id"])
    with pytest.raises(RuleViolation) as refused:
        world.service.record_paper_approval(IDA, case_id, " ")
    assert {v.code for v in refused.value.violations} == {"scan-reference-required"}
