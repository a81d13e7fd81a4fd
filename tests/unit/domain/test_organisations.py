"""Organisations: one registered entity each (guide §2), entitlements per §10.3-§10.5."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.organisations import (
    Organisation,
    OrganisationKind,
    check_organisation,
    check_organisation_id,
    default_kinds,
    is_organisation_id,
    validate_org_id,
)
from lrs_keycloak.domain.roles import AWARDING_BODY, OLASS, PLR

KINDS = default_kinds()


def org(kind: str = "college", *entitlements: str, name: str = "Anytown College") -> Organisation:
    return Organisation("anytown-college", name, kind, frozenset(entitlements))


@pytest.mark.parametrize("org_id", ["anytown-college", "a1", "9th-form", "x" * 63])
def test_an_organisation_id_is_a_lower_case_slug(org_id: str) -> None:
    assert validate_org_id(org_id) == []


@pytest.mark.parametrize(
    "org_id",
    ["", "a", "-college", "Anytown", "anytown college", "anytown_college", "x" * 64, "ab\n"],
)
def test_an_organisation_id_that_is_not_a_slug_is_refused(org_id: str) -> None:
    [violation] = validate_org_id(org_id)
    assert violation.code == "invalid-org-id"


def test_a_well_formed_organisation_passes() -> None:
    assert check_organisation(org("college", OLASS, PLR), KINDS) == []
    assert check_organisation(org("awarding-body", AWARDING_BODY), KINDS) == []


def test_an_organisation_must_have_a_name() -> None:
    [violation] = check_organisation(org(name="  "), KINDS)
    assert violation.code == "name-required"


def test_an_organisation_kind_must_be_configured() -> None:
    [violation] = check_organisation(org("university"), KINDS)
    assert violation.code == "unknown-kind"
    assert "awarding-body, college" in violation.message


def test_awarding_body_entitlement_only_for_awarding_bodies() -> None:
    [violation] = check_organisation(org("college", AWARDING_BODY), KINDS)
    assert violation.code == "awarding-body-only"
    assert "§10.3" in violation.rule


def test_an_awarding_body_always_holds_the_awarding_body_entitlement() -> None:
    [violation] = check_organisation(org("awarding-body"), KINDS)
    assert violation.code == "missing-kind-entitlement"


def test_an_entitlement_not_allowed_for_the_kind_is_refused() -> None:
    [violation] = check_organisation(org("awarding-body", AWARDING_BODY, OLASS), KINDS)
    assert violation.code == "entitlement-not-allowed"
    assert "§10.4" in violation.rule


def test_an_unknown_entitlement_is_refused() -> None:
    [violation] = check_organisation(org("college", "prisons"), KINDS)
    assert violation.code == "unknown-entitlement"


def test_a_kind_may_not_name_unknown_entitlements() -> None:
    with pytest.raises(ValueError, match="unknown entitlements"):
        OrganisationKind("school", "School", frozenset(), frozenset({"prisons"}))


def test_the_awarding_body_entitlement_cannot_be_an_optional_extra() -> None:
    with pytest.raises(ValueError, match=r"§10\.3"):
        OrganisationKind("school", "School", frozenset(), frozenset({AWARDING_BODY}))


@pytest.mark.parametrize("org_id", ["anytown-college", "a1", "9th-form", "x" * 63])
def test_one_organisation_id_shape_for_every_entry_point(org_id: str) -> None:
    assert is_organisation_id(org_id)
    assert check_organisation_id(org_id, "organisation_id") is None


@pytest.mark.parametrize(
    "org_id",
    [
        "x/../anytown-college",
        "anytown-college#2",
        "anytown-college?x",
        "anytown-college/",
        " anytown-college",
        "anytown-college\n",
        "anytown%2Dcollege",
        "ANYTOWN-COLLEGE",
        "ａnytown",  # fullwidth letter: not a-z
        "",
        "x" * 64,
        "x" * 1_000_000,
        None,
        42,
        ["anytown-college"],
    ],
)
def test_an_id_that_could_name_another_organisation_is_refused(org_id: object) -> None:
    assert not is_organisation_id(org_id)
    refused = check_organisation_id(org_id, "organisation_id")
    assert refused is not None
    assert (refused.field, refused.code) == ("organisation_id", "invalid-org-id")
    assert len(refused.message) < 300  # a huge id is not echoed back


def test_the_refusal_names_the_field_the_caller_gives() -> None:
    refused = check_organisation_id("org#2", "org")
    assert refused is not None and refused.field == "org"
    assert "'org#2'" in refused.message
