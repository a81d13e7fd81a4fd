"""Who may do what (guide §3, §5-§8, §10.1, §10.2), as a permissions matrix and rules."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.policies import (
    ACTIONS,
    HELPDESK_REALM_ROLE,
    SUPER_USER,
    Actor,
    Member,
    UserPolicy,
    active_super_users,
    check_last_super_user,
    deputy_shortfall,
    deputy_warning,
    may_update_own_details,
    recovery_allowed,
    removes_super_user,
    role_change_needs_authorisation,
)

ORG = "anytown-college"
OTHER = "othertown-college"

ACTORS = {
    "own super user": Actor("sue.super", ORG, frozenset({SUPER_USER})),
    "own super user who also registers learners": Actor(
        "sam.super", ORG, frozenset({SUPER_USER, "LRBOnlineUser"})
    ),
    "other organisation's super user": Actor("oscar.other", OTHER, frozenset({SUPER_USER})),
    "own non-super user": Actor("olive.online", ORG, frozenset({"LRBOnlineUser"})),
    "suspended super user": Actor("sid.suspended", ORG, frozenset({SUPER_USER}), active=False),
    "help desk": Actor("hal.helpdesk", None, frozenset(), frozenset({HELPDESK_REALM_ROLE})),
}
PERMITTED = {"own super user", "own super user who also registers learners"}


def member(name: str, *roles: str, enabled: bool = True, locked: bool = False) -> Member:
    return Member(name, ORG, frozenset(roles), enabled, locked)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor_kind", list(ACTORS))
def test_only_an_active_super_user_of_the_same_organisation_manages_its_users(
    actor_kind: str, action: str
) -> None:
    policy = UserPolicy(ACTORS[actor_kind], ORG)
    assert policy.may(action) is (actor_kind in PERMITTED)
    assert getattr(policy, f"may_{action}")() is (actor_kind in PERMITTED)


def test_the_help_desk_manages_no_organisations_users_directly() -> None:
    helpdesk = ACTORS["help desk"]
    assert helpdesk.is_helpdesk
    assert not any(UserPolicy(helpdesk, org).may(a) for org in (ORG, OTHER) for a in ACTIONS)


def test_an_unknown_action_raises_instead_of_passing_silently() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        UserPolicy(ACTORS["own super user"], ORG).may("delete_everything")


def test_an_unknown_role_raises_instead_of_passing_silently() -> None:
    with pytest.raises(ValueError, match="LRBAdmin"):
        UserPolicy(Actor("x.y", ORG, frozenset({"LRBAdmin"})), ORG)


def test_a_user_may_update_their_own_details() -> None:
    olive = ACTORS["own non-super user"]
    assert may_update_own_details(olive, "olive.online")
    assert may_update_own_details(olive, "Olive.Online")
    assert not may_update_own_details(olive, "sue.super")
    assert not UserPolicy(olive, ORG).may_change_roles()


def test_a_suspended_user_may_not_update_their_own_details() -> None:
    assert not may_update_own_details(ACTORS["suspended super user"], "sid.suspended")


def test_a_member_is_active_when_enabled_and_not_locked() -> None:
    assert member("a.b").active
    assert not member("a.b", enabled=False).active
    assert not member("a.b", locked=True).active


def test_only_active_super_users_count() -> None:
    members = [
        member("sue.super", SUPER_USER),
        member("sid.suspended", SUPER_USER, enabled=False),
        member("lou.locked", SUPER_USER, locked=True),
        member("olive.online", "LRBOnlineUser"),
    ]
    assert [m.username for m in active_super_users(members)] == ["sue.super"]


@pytest.mark.parametrize(("super_users", "missing"), [(0, 3), (1, 2), (2, 1), (3, 0), (5, 0)])
def test_a_super_user_should_have_at_least_two_deputies(super_users: int, missing: int) -> None:
    members = [member(f"s.u{'x' * i}", SUPER_USER) for i in range(super_users)]
    assert deputy_shortfall(members) == missing
    warning = deputy_warning(members)
    if missing:
        assert warning is not None
        assert warning.code == "too-few-super-users"
        assert "at least two deputies" in warning.message
        assert "§2.3" in warning.rule
    else:
        assert warning is None


def test_members_of_several_organisations_are_not_mixed_up() -> None:
    with pytest.raises(ValueError, match="one organisation"):
        deputy_shortfall([member("a.b"), Member("c.d", OTHER, frozenset(), True)])


@pytest.mark.parametrize("action", ["suspend", "remove", "demote"])
def test_the_only_active_super_user_cannot_be_suspended_removed_or_demoted(action: str) -> None:
    members = [
        member("sue.super", SUPER_USER),
        member("sid.suspended", SUPER_USER, enabled=False),
        member("olive.online", "LRBOnlineUser"),
    ]
    violation = check_last_super_user(members, "sue.super", action)
    assert violation is not None
    assert violation.code == "last-super-user"
    assert "without a super user" in violation.message
    assert "New Super User Form" in violation.message
    assert "senior manager" in violation.message
    assert "§10.2" in violation.rule


@pytest.mark.parametrize("action", ["suspend", "remove", "demote"])
def test_a_super_user_with_an_active_colleague_can_be_suspended_removed_or_demoted(
    action: str,
) -> None:
    members = [member("sue.super", SUPER_USER), member("dee.deputy", SUPER_USER)]
    assert check_last_super_user(members, "sue.super", action) is None
    assert check_last_super_user(members[:1], "olive.online", action) is None


def test_last_super_user_check_knows_its_actions() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        check_last_super_user([], "sue.super", "lock")


def test_demoting_means_taking_the_super_user_role_away() -> None:
    assert removes_super_user({SUPER_USER, "LRBOnlineUser"}, {"LRBOnlineUser"})
    assert not removes_super_user({"LRBOnlineUser"}, {"LRBBatchUser"})


def test_the_help_desk_recovers_a_super_user_only_when_none_can_act() -> None:
    lost = [member("sue.super", SUPER_USER, enabled=False), member("olive.online", "LRBOnlineUser")]
    assert recovery_allowed(lost) == (True, [])
    assert recovery_allowed([]) == (True, [])


def test_an_organisation_with_an_active_super_user_contacts_them_instead() -> None:
    members = [member("sue.super", SUPER_USER), member("dee.deputy", SUPER_USER, locked=True)]
    assert recovery_allowed(members) == (False, ["sue.super"])


@pytest.mark.parametrize(
    ("old", "new", "needed"),
    [
        ({"LRBViewOnlyUser"}, {"LRBOnlineUser"}, True),
        ({"LRBOnlineUser"}, {"LRBOnlineUser", SUPER_USER}, True),
        ({"LRBOnlineUser", "LRBBatchUser"}, {"LRBOnlineUser"}, False),
        ({"LRBOnlineUser"}, {"LRBOnlineUser"}, False),
    ],
)
def test_a_role_change_giving_more_access_needs_authorisation(
    old: set[str], new: set[str], needed: bool
) -> None:
    assert role_change_needs_authorisation(old, new) is needed
