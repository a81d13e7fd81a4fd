"""The rules the enforcer holds on changes made in the admin console, as the domain states
them: one account in one organisation, at least one role, an active super user."""

from __future__ import annotations

from lrs_keycloak.domain.organisations import Organisation, check_one_organisation
from lrs_keycloak.domain.policies import SUPER_USER, Member, check_active_super_user
from lrs_keycloak.domain.roles import check_holds_a_role, default_catalogue

COLLEGE = Organisation("anytown-college", "Anytown College", "college", frozenset())


def test_an_account_in_one_organisation_is_fine() -> None:
    assert check_one_organisation("amy.temple", ["anytown-college"]) is None


def test_an_account_in_no_organisation_is_refused() -> None:
    refused = check_one_organisation("amy.temple", [])
    assert refused is not None and refused.code == "no-organisation"


def test_an_account_in_two_organisations_is_refused_naming_both() -> None:
    refused = check_one_organisation("amy.temple", ["anytown-college", "brook-training"])
    assert refused is not None and refused.code == "two-organisations"
    assert "anytown-college, brook-training" in refused.message


def test_an_account_with_no_role_is_refused_with_the_code_the_app_uses() -> None:
    refused = check_holds_a_role("ian.idle", frozenset())
    [assigned] = default_catalogue().check_assignment([], COLLEGE)
    assert refused is not None and refused.code == assigned.code == "no-role"
    assert check_holds_a_role("ian.idle", {"LRBOnlineUser"}) is None


def test_roles_the_organisation_is_not_entitled_to_are_named() -> None:
    held = {"LRBOnlineUser", "AwardingBodyUser", "LearnerRecord"}
    assert default_catalogue().not_entitled(held, COLLEGE) == ["AwardingBodyUser", "LearnerRecord"]


def _super(username: str, enabled: bool = True, locked: bool = False) -> Member:
    return Member(username, COLLEGE.id, frozenset({SUPER_USER}), enabled, locked)


def test_an_organisation_with_an_active_super_user_is_fine() -> None:
    assert (
        check_active_super_user(COLLEGE.name, [_super("sue.a", enabled=False), _super("sam.b")])
        is None
    )


def test_an_organisation_without_an_active_super_user_names_those_locked_out() -> None:
    refused = check_active_super_user(
        COLLEGE.name, [_super("sue.a", enabled=False), _super("sam.b", enabled=False, locked=True)]
    )
    assert refused is not None and refused.code == "no-active-super-user"
    assert refused.message.startswith(
        "Anytown College has no active super user (sam.b locked out by repeated wrong passwords)"
    )
