"""Completing an approved case: a second agent creates the new super user, exactly once, with
in-memory collaborators: one test per rule, named after it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.recovery import STALE_CLAIM_AFTER, CaseState, nominee_details
from lrs_keycloak.keycloak.errors import GatewayError
from tests.unit.services.recovery_world import (
    COLLEGE,
    HAL,
    IDA,
    World,
    agent,
    approved_case,
    form,
    world,
)

__all__ = ["world"]  # the fixture


def test_a_second_agent_completes_an_approved_case(world: World) -> None:
    case_id = approved_case(world)
    done = world.service.complete(IDA, case_id)
    assert done.case["state"] == "completed" and done.user is not None
    created = world.directory.by_name(str(done.user["username"]))
    assert created is not None and created.roles == {SUPER_USER} and created.enabled
    assert world.directory.emails == [created.id]  # a set-password email, no password seen
    assert world.contacts.primary == {f"g-{COLLEGE.id}": created.username}
    assert world.kinds()[-3:] == [
        AuditKind.USER_CREATED,
        AuditKind.RECOVERY_COMPLETED,
        AuditKind.PRIMARY_CONTACT_CHANGED,
    ]


def test_a_recovery_making_the_new_primary_contact_forgets_the_previous_contacts_notices(
    world: World,
) -> None:
    """Guide §9: the previous contact's "already told" record would otherwise silence the help
    desk's notice if they were made the contact again and then suspended."""
    world.service.complete(IDA, approved_case(world))
    assert world.notices.changed == [COLLEGE.id]


def test_a_recovery_leaving_the_primary_contact_alone_forgets_nothing(world: World) -> None:
    opened = world.service.open(HAL, form(make_primary_contact=False))
    world.service.decide_by_link(world.mail.token(), approve=True, ip="203.0.113.7")
    world.service.complete(IDA, int(opened.case["id"]))
    assert world.notices.changed == []


def test_the_agent_who_raised_a_case_cannot_complete_it(world: World) -> None:
    case_id = approved_case(world, by=HAL)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(HAL, case_id)
    assert {v.code for v in refused.value.violations} == {"own-case"}
    assert world.store.get(case_id).state == CaseState.APPROVED  # type: ignore[union-attr]


def test_a_case_is_completed_once(world: World) -> None:
    case_id = approved_case(world)
    world.service.complete(IDA, case_id)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(agent("jo.third"), case_id)
    assert {v.code for v in refused.value.violations} == {"already-completed"}


def test_no_super_user_is_created_when_one_became_active_again(world: World) -> None:
    case_id = approved_case(world)
    sarah = world.directory.by_name("sarah.jones")
    assert sarah is not None
    world.directory.set_enabled(sarah.id, True)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(IDA, case_id)
    assert {v.code for v in refused.value.violations} == {"super-user-active-again"}
    assert world.store.get(case_id).state == CaseState.APPROVED  # type: ignore[union-attr]


def test_a_failed_creation_releases_the_claim(world: World) -> None:
    case_id = approved_case(world)
    world.directory.fail.add("create_user")
    with pytest.raises(GatewayError):
        world.service.complete(IDA, case_id)
    assert world.store.get(case_id).state == CaseState.APPROVED  # type: ignore[union-attr]
    world.directory.fail.clear()
    assert world.service.complete(IDA, case_id).case["state"] == "completed"  # claimable again


def test_a_stale_completion_is_taken_over_and_its_account_adopted(world: World) -> None:
    case_id = approved_case(world)
    # IDA's process claimed the case and created the account, then died before its role,
    # enabling it and the set-password email.
    world.store.move(case_id, [CaseState.APPROVED], CaseState.COMPLETING, claimed_by=IDA.username)
    made = world.directory.add_user("neil.newcombe", COLLEGE.id, [], enabled=False)
    details = nominee_details(form())
    made.email = details.email
    made.attributes["verificationProvided"] = str(details.verification_provided)
    before = set(world.directory.users)

    world.clock.offset = STALE_CLAIM_AFTER + timedelta(minutes=1)
    done = world.service.complete(agent("jo.third"), case_id)

    assert done.case["state"] == "completed" and done.case["completed_by"] == "jo.third"
    assert set(world.directory.users) == before  # adopted, not made twice
    assert world.directory.users[made.id].roles == {SUPER_USER}
    assert world.directory.users[made.id].enabled and world.directory.emails == [made.id]
    assert AuditKind.RECOVERY_COMPLETION_TAKEN_OVER in world.kinds()


def test_a_completion_still_in_progress_is_not_taken_over(world: World) -> None:
    case_id = approved_case(world)
    world.store.move(case_id, [CaseState.APPROVED], CaseState.COMPLETING, claimed_by=IDA.username)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(agent("jo.third"), case_id)
    assert {v.code for v in refused.value.violations} == {"completion-in-progress"}


def test_the_primary_contact_failing_is_a_warning_not_a_failure(world: World) -> None:
    case_id = approved_case(world)
    world.contacts.broken = True
    done = world.service.complete(IDA, case_id)
    assert done.case["state"] == "completed"
    assert [w.code for w in done.warnings][-1] == "primary-contact-not-updated"
