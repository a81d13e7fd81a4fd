"""The user-admin use cases against an in-memory directory: one test per rule."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory

JANE = UserDetails("Ms", "Jane", "Doe", "approved by HR ref 42", email="jane@example.org")
#: Someone else with the same names (another email address): a second account, jane.doe2.
NAMESAKE = replace(JANE, email="jane.doe@elsewhere.example.org")


def codes(error: pytest.ExceptionInfo[RuleViolation]) -> set[str]:
    return {v.code for v in error.value.violations}


def test_create_user_generates_username_maps_roles_sends_email_and_audits(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    result = admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"], reference="REQ-1")
    assert result.user is not None and result.user["username"] == "jane.doe"
    user = directory.by_name("jane.doe")
    assert user is not None and user.roles == {"LRBOnlineUser"}
    assert user.organisation_ids == (COLLEGE.id,)
    assert directory.emails == [user.id]
    [event] = audit.events(COLLEGE.id)
    assert (event.action, event.actor, event.target) == ("user_created", "sue.super", "jane.doe")


def test_username_collision_gets_a_suffix(admin: UserAdmin, sue: Actor) -> None:
    first = admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    second = admin.create_user(sue, COLLEGE.id, NAMESAKE, ["LRBOnlineUser"])
    assert first.user and second.user
    assert (first.user["username"], second.user["username"]) == ("jane.doe", "jane.doe2")


def test_concurrent_creations_of_one_name_give_distinct_usernames(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(
                lambda i: admin.create_user(
                    sue, COLLEGE.id, replace(JANE, email=f"jane{i}@example.org"), ["LRBOnlineUser"]
                ),
                range(20),
            )
        )
    names = {r.user["username"] for r in results if r.user}
    assert len(names) == 20
    assert sum(u.username.startswith("jane.doe") for u in directory.users.values()) == 20


def test_generic_name_is_refused_and_nothing_is_created(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    before = set(directory.users)
    guest = UserDetails("Mr", "Guest", "User", "ref")
    with pytest.raises(RuleViolation) as refused:
        admin.create_user(sue, COLLEGE.id, guest, ["LRBOnlineUser"])
    assert "generic-name" in codes(refused)
    assert set(directory.users) == before and audit.events() == []


def test_role_the_organisation_is_not_entitled_to_is_refused(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.create_user(sue, COLLEGE.id, JANE, ["AwardingBodyUser"])
    assert codes(refused) == {"role-not-available"}


def test_all_violations_are_reported_together(admin: UserAdmin, sue: Actor) -> None:
    bad = UserDetails("", "Test", "Doe", "", email="nope")
    with pytest.raises(RuleViolation) as refused:
        admin.create_user(sue, COLLEGE.id, bad, [])
    assert {
        "title-required",
        "generic-name",
        "verification-required",
        "invalid-email",
        "no-role",
    } <= codes(refused)


def test_missing_email_is_a_warning_and_no_email_is_sent(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    result = admin.create_user(
        sue, COLLEGE.id, UserDetails("Mr", "Sam", "Lee", "ref"), ["LRBViewOnlyUser"]
    )
    assert [w.code for w in result.warnings] == ["email-missing"]
    assert directory.emails == []


@pytest.mark.parametrize("step", ["add_roles", "send_set_password_email"])
def test_failure_after_creation_deletes_the_account_again(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor, step: str
) -> None:
    directory.fail.add(step)
    with pytest.raises(GatewayError):
        admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    assert directory.by_name("jane.doe") is None
    assert audit.events() == []


def test_other_organisations_are_invisible(admin: UserAdmin, otto: Actor) -> None:
    with pytest.raises(NotVisible):
        admin.list_users(otto, COLLEGE.id)
    with pytest.raises(NotVisible):
        admin.create_user(otto, COLLEGE.id, JANE, ["LRBOnlineUser"])
    with pytest.raises(NotVisible):
        admin.suspend(otto, COLLEGE.id, "olive.online", "left")


def test_unknown_organisation_looks_the_same_as_another_one(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(NotVisible):
        admin.list_users(sue, "no-such-org")


def test_users_of_another_organisation_are_not_found(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(NotVisible):
        admin.suspend(sue, COLLEGE.id, "otto.other", "left")


def test_only_super_users_manage_users(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(NotPermitted):
        admin.create_user(olive, COLLEGE.id, JANE, ["LRBOnlineUser"])


def test_helpdesk_manages_no_organisation_directly(admin: UserAdmin) -> None:
    helpdesk = Actor("helen.help", None, frozenset(), frozenset({"lrs-helpdesk"}))
    with pytest.raises(NotVisible):
        admin.list_users(helpdesk, COLLEGE.id)


def test_role_change_adding_access_needs_an_authorisation_reference(
    admin: UserAdmin, sue: Actor
) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.change_roles(sue, COLLEGE.id, "olive.online", ["LRBOnlineUser", "LRBBatchUser"])
    assert codes(refused) == {"authorisation-reference-required"}


def test_role_change_records_added_removed_and_reference(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    admin.change_roles(sue, COLLEGE.id, "olive.online", ["LRBBatchUser"], reference="CR-7")
    user = directory.by_name("olive.online")
    assert user is not None and user.roles == {"LRBBatchUser"}
    [event] = audit.events(COLLEGE.id)
    assert event.reference == "CR-7"
    assert event.details["added"] == ["LRBBatchUser"]
    assert event.details["removed"] == ["LRBOnlineUser"]


def test_removing_access_needs_no_reference(admin: UserAdmin, sue: Actor) -> None:
    directory_user_roles = ["LRBViewOnlyUser"]
    admin.change_roles(sue, COLLEGE.id, "olive.online", directory_user_roles, reference="x")
    admin.change_roles(sue, COLLEGE.id, "olive.online", directory_user_roles)


def test_last_super_user_cannot_be_demoted(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.change_roles(sue, COLLEGE.id, "sue.super", ["LRBOnlineUser"], reference="r")
    assert codes(refused) == {"last-super-user"}


def test_last_super_user_cannot_be_suspended(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.suspend(sue, COLLEGE.id, "sue.super", "holiday")
    assert codes(refused) == {"last-super-user"}


def test_last_super_user_cannot_be_removed(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.remove(sue, COLLEGE.id, "sue.super")
    assert codes(refused) == {"last-super-user"}


def test_a_locked_deputy_does_not_count_as_active(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    deputy = directory.add_user("dan.deputy", COLLEGE.id, ["LRBSuperUser"])
    directory.locked.add(deputy.id)
    with pytest.raises(RuleViolation):
        admin.suspend(sue, COLLEGE.id, "sue.super", "holiday")


def test_suspend_needs_a_reason(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.suspend(sue, COLLEGE.id, "olive.online", " ")
    assert codes(refused) == {"reason-required"}


def test_suspend_disables_and_ends_sessions(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    result = admin.suspend(sue, COLLEGE.id, "olive.online", "left the college")
    user = directory.by_name("olive.online")
    assert user is not None and not user.enabled
    assert directory.logged_out == [user.id]
    assert result.user and result.user["status"] == "suspended"
    assert audit.events(COLLEGE.id)[0].reason == "left the college"


def test_suspend_is_undone_when_sessions_cannot_be_ended(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    directory.fail.add("logout")
    with pytest.raises(GatewayError):
        admin.suspend(sue, COLLEGE.id, "olive.online", "left")
    user = directory.by_name("olive.online")
    assert user is not None and user.enabled


def test_reinstate_needs_a_reason(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.reinstate(sue, COLLEGE.id, "olive.online", "")
    assert codes(refused) == {"reason-required"}


def test_reinstate_enables_and_clears_the_lock(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    user = directory.by_name("olive.online")
    assert user is not None
    user.enabled = False
    directory.locked.add(user.id)
    admin.reinstate(sue, COLLEGE.id, "olive.online", "forgot password, identity checked")
    assert user.enabled and user.id not in directory.locked


def test_remove_deletes_the_account_and_keeps_its_history(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    admin.suspend(sue, COLLEGE.id, "olive.online", "left")
    admin.remove(sue, COLLEGE.id, "olive.online", "left")
    assert directory.by_name("olive.online") is None
    assert [e.action for e in audit.events(COLLEGE.id, target="olive.online")] == [
        "user_removed",
        "user_suspended",
    ]


def test_fewer_than_three_super_users_gives_a_deputy_warning(admin: UserAdmin, sue: Actor) -> None:
    result = admin.list_users(sue, COLLEGE.id)
    assert [w.code for w in result.warnings] == ["too-few-super-users"]
    assert result.users is not None
    assert {u["username"] for u in result.users} == {"sue.super", "olive.online"}


def test_three_active_super_users_give_no_deputy_warning(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    directory.add_user("dan.deputy", COLLEGE.id, ["LRBSuperUser"])
    directory.add_user("deb.deputy", COLLEGE.id, ["LRBSuperUser"])
    assert admin.list_users(sue, COLLEGE.id).warnings == []


def test_list_shows_locked_status(admin: UserAdmin, directory: FakeDirectory, sue: Actor) -> None:
    user = directory.by_name("olive.online")
    assert user is not None
    directory.locked.add(user.id)
    result = admin.list_users(sue, COLLEGE.id, status="locked")
    assert result.users is not None and [u["username"] for u in result.users] == ["olive.online"]


def test_super_user_updates_details(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    admin.update_details(
        sue, COLLEGE.id, "olive.online", {"staff_id": "S-9", "mobile": "07700 900123"}
    )
    user = directory.by_name("olive.online")
    assert user is not None and user.attributes["staffId"] == "S-9"
    assert audit.events(COLLEGE.id)[0].details["fields"] == ["mobile", "staff_id"]


def test_user_updates_own_contact_details(
    admin: UserAdmin, directory: FakeDirectory, olive: Actor
) -> None:
    admin.update_details(olive, COLLEGE.id, "olive.online", {"telephone": "01632 960 123"})
    user = directory.by_name("olive.online")
    assert user is not None and user.attributes["telephone"] == "01632 960 123"


def test_user_cannot_update_own_verification_or_staff_id(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.update_details(olive, COLLEGE.id, "olive.online", {"staff_id": "me"})
    assert codes(refused) == {"super-user-only"}


def test_user_cannot_update_someone_elses_details(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(NotPermitted):
        admin.update_details(olive, COLLEGE.id, "sue.super", {"telephone": "01632 960 123"})


def test_update_validates_the_new_details(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.update_details(sue, COLLEGE.id, "olive.online", {"given_name": "Reception"})
    assert "generic-name" in codes(refused)


def test_a_required_detail_cleared_with_none_is_refused_as_missing_not_a_crash(
    admin: UserAdmin, sue: Actor
) -> None:
    # Found by schemathesis: PATCH {"family_name": null} reached the name analysis as None.
    with pytest.raises(RuleViolation) as refused:
        admin.update_details(sue, COLLEGE.id, "olive.online", {"family_name": None})
    assert codes(refused) == {"required"}


def test_operator_registers_organisation_with_initial_super_user(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog
) -> None:
    org = Organisation("new-college", "New College", "college", frozenset())
    result = admin.register_organisation(Operator("ops"), org, JANE)
    assert result.user and result.user["roles"] == ["LRBSuperUser"]
    user = directory.by_name("jane.doe")
    assert user is not None and user.organisation_ids == ("new-college",)
    [event] = audit.events("new-college")
    assert (event.action, event.actor) == ("organisation_registered", "operator:ops")
    assert [w.code for w in result.warnings] == ["too-few-super-users"]


def test_registering_an_existing_organisation_is_refused(admin: UserAdmin) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.register_organisation(Operator("ops"), OTHER, JANE)
    assert codes(refused) == {"organisation-exists"}


def test_registration_is_undone_when_the_super_user_cannot_be_created(
    admin: UserAdmin, directory: FakeDirectory
) -> None:
    directory.fail.add("add_roles")
    org = Organisation("new-college", "New College", "college", frozenset())
    with pytest.raises(GatewayError):
        admin.register_organisation(Operator("ops"), org, JANE)
    assert directory.find_organisation("new-college") is None
    assert directory.by_name("jane.doe") is None


def test_only_the_operator_registers_organisations(admin: UserAdmin, sue: Actor) -> None:
    org = Organisation("new-college", "New College", "college", frozenset())
    with pytest.raises(NotPermitted):
        admin.register_organisation(sue, org, JANE)


def test_actor_is_built_from_the_directory(admin: UserAdmin) -> None:
    actor = admin.actor("sue.super")
    assert actor is not None and actor.is_super_user_of(COLLEGE.id)
    assert admin.actor("nobody.here") is None


def test_onboarding_many_people_applies_the_same_rules_to_each_and_answers_in_order(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    guest = UserDetails("Mr", "Guest", "User", "ref")
    people = [(JANE, ["LRBOnlineUser"]), (guest, ["LRBOnlineUser"]), (NAMESAKE, ["LRBBatchUser"])]
    results = admin.onboard(sue, COLLEGE.id, people, workers=1)
    assert [type(r).__name__ for r in results] == ["Result", "RuleViolation", "Result"]
    assert "generic-name" in {v.code for v in results[1].violations}  # type: ignore[union-attr]
    created = sorted(r.user["username"] for r in results if hasattr(r, "user") and r.user)
    assert created == ["jane.doe", "jane.doe2"]
    assert [e.action for e in audit.events(COLLEGE.id)] == ["user_created", "user_created"]


def test_onboarding_into_another_organisation_is_refused_before_anyone_is_created(
    admin: UserAdmin, directory: FakeDirectory, otto: Actor
) -> None:
    before = set(directory.users)
    with pytest.raises(NotVisible):
        admin.onboard(otto, COLLEGE.id, [(JANE, ["LRBOnlineUser"])])
    assert set(directory.users) == before
