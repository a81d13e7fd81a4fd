"""Guide §4.2 "What details are recorded?"."""

from __future__ import annotations

import dataclasses
import time

import pytest
import yaml

from lrs_keycloak.domain.generic_names import default_policy
from lrs_keycloak.domain.users import (
    MAX_LENGTHS,
    TITLES,
    UserDetails,
    repeats_creation,
    same_person,
    validate_details,
)
from lrs_keycloak.settings import PROJECT_ROOT

POLICY = default_policy()
GOOD = UserDetails(
    title="Ms",
    given_name="Zoë",
    family_name="O'Brien",
    verification_provided="Access request AR-2024-117 approved by the MIS manager",
    email="zoe.obrien@anytown.ac.uk",
    telephone="01632 960 123",
    mobile="+44 (0)7700 900123",
    staff_id="E10442",
)


def check(**changes: object) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    errors, warnings = validate_details(dataclasses.replace(GOOD, **changes), policy=POLICY)  # type: ignore[arg-type]
    return {(v.field, v.code) for v in errors}, {(v.field, v.code) for v in warnings}


def test_complete_details_are_accepted() -> None:
    assert validate_details(GOOD, policy=POLICY) == ([], [])


def test_only_title_names_and_verification_are_required() -> None:
    minimal = UserDetails("Dr", "J", "Ng", "Signed request form on file")
    errors, warnings = validate_details(minimal, policy=POLICY)
    assert errors == []
    assert [w.code for w in warnings] == ["email-missing"]


@pytest.mark.parametrize("title", TITLES)
def test_a_title_is_one_of_the_listed_titles(title: str) -> None:
    assert check(title=title) == (set(), set())


@pytest.mark.parametrize(
    ("title", "code"),
    [("", "title-required"), ("Captain", "unknown-title"), ("mr", "unknown-title")],
)
def test_a_title_is_required(title: str, code: str) -> None:
    assert check(title=title)[0] == {("title", code)}


def test_names_follow_the_generic_name_rules() -> None:
    errors, _ = check(given_name="Guest", family_name="User 1")
    assert ("given_name", "generic-name") in errors
    assert ("family_name", "contains-digits") in errors


def test_an_account_name_must_be_possible_from_the_names() -> None:
    assert check(given_name="李", family_name="伟")[0] == {
        ("given_name", "no-ascii-username"),
        ("family_name", "no-ascii-username"),
    }


def test_the_organisation_name_is_not_a_person_name() -> None:
    errors, _ = validate_details(
        dataclasses.replace(GOOD, given_name="Anytown", family_name="College"),
        policy=POLICY,
        organisation_name="Anytown College",
    )
    assert [v.code for v in errors] == ["organisation-name"]


@pytest.mark.parametrize(
    ("value", "code"), [("  ", "verification-required"), ("x" * 256, "too-long")]
)
def test_verification_provided_confirms_the_internal_authorisation_procedure(
    value: str, code: str
) -> None:
    assert check(verification_provided=value)[0] == {("verification_provided", code)}


@pytest.mark.parametrize("email", [None, "", "  "])
def test_without_an_email_address_the_user_cannot_reset_a_forgotten_password(
    email: str | None,
) -> None:
    errors, warnings = validate_details(dataclasses.replace(GOOD, email=email), policy=POLICY)
    assert errors == []
    [warning] = warnings
    assert warning.field == "email"
    assert "cannot reset a forgotten password" in warning.message
    assert "MIAP recommends capturing it" in warning.message


@pytest.mark.parametrize("email", ["jo@anytown.ac.uk", "jo.smith+lrs@example.org", "a@b.co"])
def test_an_email_address_is_accepted_when_well_formed(email: str) -> None:
    assert check(email=email) == (set(), set())


@pytest.mark.parametrize(
    "email",
    ["jo", "jo@", "@anytown.ac.uk", "jo@anytown", "jo@@anytown.ac.uk", "jo smith@x.org",
     "jo@-anytown.ac.uk", "jo..smith@x.org", "jo@x.c0m", "x" * 65 + "@x.org"],
)  # fmt: skip
def test_an_email_address_must_be_well_formed(email: str) -> None:
    assert check(email=email)[0] == {("email", "invalid-email")}


@pytest.mark.parametrize("field", ["telephone", "mobile"])
@pytest.mark.parametrize("number", ["01632 960123", "+44 1632 960123", "(01632) 960-123", None, ""])
def test_contact_numbers_are_optional_uk_style_numbers(field: str, number: str | None) -> None:
    assert check(**{field: number}) == (set(), set())


@pytest.mark.parametrize("field", ["telephone", "mobile"])
@pytest.mark.parametrize(
    "number", ["01632", "0163 296 0123 4567 8", "01632 96O123", "ext. 1234567890"]
)
def test_contact_numbers_have_10_to_15_digits(field: str, number: str) -> None:
    assert check(**{field: number})[0] == {(field, "invalid-telephone")}


@pytest.mark.parametrize(
    ("staff_id", "code"), [("x" * 65, "too-long"), ("E10\n442", "invalid-staff-id")]
)
def test_staff_id_is_at_most_64_printable_characters(staff_id: str, code: str) -> None:
    assert check(staff_id=staff_id)[0] == {("staff_id", code)}


def test_preferred_language_is_currently_only_english() -> None:
    errors, _ = validate_details(dataclasses.replace(GOOD, preferred_language="cy"), policy=POLICY)
    [error] = errors
    assert error.code == "unsupported-language"
    assert "only in English" in error.message


@pytest.mark.parametrize(
    "field", sorted(set(MAX_LENGTHS) & {f.name for f in dataclasses.fields(UserDetails)})
)
def test_every_detail_has_a_maximum_length_and_one_more_character_is_refused_by_name(
    field: str,
) -> None:
    errors, _ = validate_details(
        dataclasses.replace(GOOD, **{field: "x" * (MAX_LENGTHS[field] + 1)}), policy=POLICY
    )
    assert [(v.field, v.code) for v in errors] == [(field, "too-long")]


def test_an_oversized_name_is_refused_for_its_length_before_any_name_analysis() -> None:
    """A 400 KB name used to go through the generic-name analysis (not linear in the length)."""
    huge = "Ab" * 200_000
    started = time.perf_counter()
    errors, warnings = validate_details(
        dataclasses.replace(GOOD, given_name=huge, family_name=huge), policy=POLICY
    )
    assert time.perf_counter() - started < 0.5
    assert {(v.field, v.code) for v in errors} == {
        ("given_name", "too-long"),
        ("family_name", "too-long"),
    }
    assert warnings == []


def test_user_profile_accepts_at_least_the_domains_maximum_lengths() -> None:
    """Keycloak's own validators must never refuse what the domain accepts as short enough."""
    profile = yaml.safe_load((PROJECT_ROOT / "realm-config" / "user-profile.yaml").read_text())
    ours = {"firstName": "given_name", "lastName": "family_name", "email": "email"}
    ours |= {"verificationProvided": "verification_provided", "staffId": "staff_id"}
    checked = 0
    for attribute in profile["attributes"]:
        maximum = ((attribute.get("validations") or {}).get("length") or {}).get("max")
        if attribute["name"] in ours and maximum is not None:
            assert MAX_LENGTHS[ours[attribute["name"]]] <= maximum, attribute["name"]
            checked += 1
    assert checked == len(ours)


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({}, True),
        ({"given_name": " zoë ", "family_name": "o'brien"}, True),
        ({"email": None}, True),  # the staff ID still says who it is
        ({"staff_id": None}, True),  # the email address still does
        ({"email": None, "staff_id": None}, False),  # names alone: two people may share them
        ({"email": "other@anytown.ac.uk", "staff_id": "E999"}, False),
        ({"given_name": "Zoe"}, False),
    ],
)
def test_the_same_person_is_the_same_names_with_the_same_email_or_staff_id(
    changes: dict[str, str | None], same: bool
) -> None:
    assert same_person(dataclasses.replace(GOOD, **changes), GOOD) is same  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("roles", "enabled", "repeated"),
    [
        ({"LRBOnlineUser"}, True, True),
        ({"LRBSuperUser"}, True, False),
        ({"LRBOnlineUser"}, False, False),
    ],
)
def test_a_creation_repeats_one_done_for_the_same_person_roles_and_an_account_in_use(
    roles: set[str], enabled: bool, repeated: bool
) -> None:
    assert repeats_creation(GOOD, ["LRBOnlineUser"], GOOD, roles, enabled) is repeated
