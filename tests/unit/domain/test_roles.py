"""Guide §4.1 (what level of permission is required) and §10.3-§10.5 (special roles)."""

from __future__ import annotations

import dataclasses

import pytest

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.roles import (
    AWARDING_BODY,
    GUIDE_ROLE_NAMES,
    OLASS,
    PLR,
    Role,
    RoleCatalogue,
    default_catalogue,
)

BASIC_ROLES = ("LRBSuperUser", "LRBOnlineUser", "LRBBatchUser", "LRBViewOnlyUser")


def test_the_catalogue_holds_exactly_the_eight_roles_of_the_guide(
    catalogue: RoleCatalogue,
) -> None:
    assert catalogue.names == GUIDE_ROLE_NAMES
    assert len(set(GUIDE_ROLE_NAMES)) == 8


def test_every_role_is_described(catalogue: RoleCatalogue) -> None:
    assert all(role.description.strip() for role in catalogue.roles)


def test_a_catalogue_missing_a_guide_role_is_refused() -> None:
    roles = [r for r in default_catalogue().roles if r.name != "LearnerRecord"]
    with pytest.raises(ValueError, match="LearnerRecord"):
        RoleCatalogue(roles)


def test_a_catalogue_with_a_role_not_in_the_guide_is_refused() -> None:
    roles = [*default_catalogue().roles, Role("LRBAdmin", "made up", None)]
    with pytest.raises(ValueError, match="LRBAdmin"):
        RoleCatalogue(roles)


def test_a_catalogue_listing_a_role_twice_is_refused() -> None:
    roles = [*default_catalogue().roles, default_catalogue().get("LRBOnlineUser")]
    with pytest.raises(ValueError, match="more than once"):
        RoleCatalogue(roles)


def test_the_catalogue_accepts_the_roles_in_any_order() -> None:
    assert RoleCatalogue(list(reversed(default_catalogue().roles))).names == GUIDE_ROLE_NAMES


def test_a_role_requiring_an_unknown_entitlement_is_refused() -> None:
    roles = [
        dataclasses.replace(r, requires="prisons") if r.name == "LearnerPlanUser" else r
        for r in default_catalogue().roles
    ]
    with pytest.raises(ValueError, match="unknown entitlement"):
        RoleCatalogue(roles)


def test_special_roles_keep_the_entitlement_the_guide_gives_them() -> None:
    roles = [
        dataclasses.replace(r, requires=None) if r.name == "AwardingBodyUser" else r
        for r in default_catalogue().roles
    ]
    with pytest.raises(ValueError, match="AwardingBodyUser"):
        RoleCatalogue(roles)


def test_an_unknown_role_name_raises_instead_of_passing_silently(
    catalogue: RoleCatalogue,
) -> None:
    with pytest.raises(KeyError, match="LRBAdmin"):
        catalogue.get("LRBAdmin")


def test_a_user_must_have_at_least_one_role(
    catalogue: RoleCatalogue, college: Organisation
) -> None:
    [violation] = catalogue.check_assignment(set(), college)
    assert violation.code == "no-role"
    assert "at least one role" in violation.message
    assert "§4.1" in violation.rule


def test_a_user_can_be_given_multiple_roles(
    catalogue: RoleCatalogue, college: Organisation
) -> None:
    assert catalogue.check_assignment({"LRBSuperUser", "LRBOnlineUser"}, college) == []


def test_an_unknown_role_is_refused_with_a_suggestion(
    catalogue: RoleCatalogue, college: Organisation
) -> None:
    [violation] = catalogue.check_assignment({"AwardingBodyuser"}, college)
    assert violation.code == "unknown-role"
    assert "Did you mean AwardingBodyUser?" in violation.message


def test_a_single_string_is_not_mistaken_for_a_set_of_roles(
    catalogue: RoleCatalogue, college: Organisation
) -> None:
    with pytest.raises(TypeError):
        catalogue.check_assignment("LRBOnlineUser", college)


@pytest.mark.parametrize("role", BASIC_ROLES)
def test_basic_roles_are_available_to_every_organisation(
    catalogue: RoleCatalogue, college: Organisation, role: str
) -> None:
    assert catalogue.check_assignment({role}, college) == []
    assert catalogue.get(role).requires is None


def test_awarding_body_role_only_for_awarding_bodies(
    catalogue: RoleCatalogue, college: Organisation, awarding_body: Organisation
) -> None:
    [violation] = catalogue.check_assignment({"AwardingBodyUser"}, college)
    assert violation.code == "role-not-available"
    assert "AwardingBodyUser" in violation.message
    assert "Anytown College" in violation.message
    assert "Awarding Body organisations" in violation.message
    assert "§10.3" in violation.rule
    assert catalogue.check_assignment({"AwardingBodyUser"}, awarding_body) == []


@pytest.mark.parametrize("role", ["LearnerPlanUser", "LearnerPlanViewOnly"])
def test_learner_plan_roles_only_for_olass_approved_organisations(
    catalogue: RoleCatalogue,
    college: Organisation,
    prison_educator: Organisation,
    role: str,
) -> None:
    [violation] = catalogue.check_assignment({role}, college)
    assert violation.code == "role-not-available"
    assert "OLASS" in violation.message
    assert "§10.4" in violation.rule
    assert catalogue.check_assignment({role}, prison_educator) == []


def test_learner_record_role_only_for_organisations_accepted_onto_the_plr_roll_out(
    catalogue: RoleCatalogue, college: Organisation, prison_educator: Organisation
) -> None:
    [violation] = catalogue.check_assignment({"LearnerRecord"}, college)
    assert "Personal Learning Record" in violation.message
    assert "§10.5" in violation.rule
    assert catalogue.check_assignment({"LearnerRecord"}, prison_educator) == []


def test_every_unavailable_role_is_reported_not_just_the_first(
    catalogue: RoleCatalogue, college: Organisation
) -> None:
    violations = catalogue.check_assignment(
        {"AwardingBodyUser", "LearnerPlanUser", "LearnerRecord", "Nope"}, college
    )
    assert sorted(v.code for v in violations) == [
        "role-not-available",
        "role-not-available",
        "role-not-available",
        "unknown-role",
    ]


@pytest.mark.parametrize(
    ("entitlements", "special_roles"),
    [
        (frozenset(), ()),
        (frozenset({AWARDING_BODY}), ("AwardingBodyUser",)),
        (frozenset({OLASS}), ("LearnerPlanUser", "LearnerPlanViewOnly")),
        (frozenset({PLR}), ("LearnerRecord",)),
    ],
)
def test_the_roles_offered_are_those_the_organisation_is_entitled_to(
    catalogue: RoleCatalogue, entitlements: frozenset[str], special_roles: tuple[str, ...]
) -> None:
    org = Organisation("some-org", "Some Org", "college", entitlements)
    offered = tuple(role.name for role in catalogue.eligible_for(org))
    assert offered == BASIC_ROLES + special_roles
