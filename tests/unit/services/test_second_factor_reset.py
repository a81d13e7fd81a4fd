"""Resetting a lost second factor (docs/adr/0015) against an in-memory directory: who may,
what is recorded, and nothing half-done."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory

DESK = Actor("hana.hughes", None, frozenset(), realm_roles=frozenset({"lrs-helpdesk"}))


def _with_app(directory: FakeDirectory, username: str) -> str:
    user = directory.by_name(username)
    assert user is not None
    directory.authenticators[user.id] = ["otp-1"]
    return user.id


def test_a_super_user_resets_their_users_factor_ending_sessions_and_recording_the_check(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    olive = _with_app(directory, "olive.online")
    result = admin.reset_second_factor(sue, COLLEGE.id, "olive.online", "called her back")
    assert directory.authenticators[olive] == []
    assert directory.logged_out == [olive]
    [event] = audit.events(COLLEGE.id)
    assert (event.action, event.actor, event.target, event.reason) == (
        "second_factor_reset",
        "sue.super",
        "olive.online",
        "called her back",
    )
    assert result.event == event


def test_nobody_resets_their_own_second_factor(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    _with_app(directory, "sue.super")
    with pytest.raises(RuleViolation) as own:
        admin.reset_second_factor(sue, COLLEGE.id, "sue.super", "I lost my phone")
    assert own.value.violations[0].code == "own-second-factor"
    assert "docs/adr/0015" in own.value.violations[0].rule


def test_a_reset_needs_the_check_made_as_its_reason(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    _with_app(directory, "olive.online")
    with pytest.raises(RuleViolation) as refused:
        admin.reset_second_factor(sue, COLLEGE.id, "olive.online", "  ")
    assert refused.value.violations[0].code == "reason-required"


def test_another_organisations_super_user_and_a_plain_user_may_not(
    admin: UserAdmin, directory: FakeDirectory, otto: Actor, olive: Actor
) -> None:
    _with_app(directory, "olive.online")
    with pytest.raises(NotVisible):
        admin.reset_second_factor(otto, COLLEGE.id, "olive.online", "asked")
    _with_app(directory, "sue.super")
    with pytest.raises(NotPermitted):
        admin.reset_second_factor(olive, COLLEGE.id, "sue.super", "asked")


def test_the_help_desk_resets_super_users_only(admin: UserAdmin, directory: FakeDirectory) -> None:
    otto = _with_app(directory, "otto.other")
    admin.reset_second_factor(DESK, OTHER.id, "otto.other", "form 7, call back")
    assert directory.authenticators[otto] == []
    _with_app(directory, "olive.online")
    with pytest.raises(NotPermitted):
        admin.reset_second_factor(DESK, COLLEGE.id, "olive.online", "asked")


def test_the_operator_may_and_nothing_to_reset_is_said(
    admin: UserAdmin, directory: FakeDirectory
) -> None:
    with pytest.raises(RuleViolation) as nothing:
        admin.reset_second_factor(Operator("it"), COLLEGE.id, "olive.online", "asked")
    assert nothing.value.violations[0].code == "no-second-factor"
    _with_app(directory, "olive.online")
    assert admin.reset_second_factor(Operator("it"), COLLEGE.id, "olive.online", "asked").event


def test_a_failed_deletion_withdraws_the_record(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    olive = _with_app(directory, "olive.online")
    directory.fail.add("delete_second_factor")
    with pytest.raises(GatewayError):
        admin.reset_second_factor(sue, COLLEGE.id, "olive.online", "called her back")
    assert directory.authenticators[olive] == ["otp-1"]
    assert audit.events(COLLEGE.id) == []
