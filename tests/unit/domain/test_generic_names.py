"""Guide §4.1 "MIAP does not recommend the creation of 'Guest' user accounts" and §4.2 "It is
NOT recommended that you name user accounts with generic names (for example 'User 1' or
'AdminDepartment') as these accounts cannot be associated to a person"."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.generic_names import (
    GenericNamePolicy,
    check_person_name,
    default_policy,
    name_words,
)

POLICY = default_policy()
YAML_PATH = Path(__file__).parents[3] / "realm-config" / "generic-names.yaml"


def codes(
    given: str,
    family: str,
    organisation_name: str | None = None,
    role_names: tuple[str, ...] | list[str] = (),
) -> set[str]:
    return {
        v.code
        for v in check_person_name(
            given, family, policy=POLICY, organisation_name=organisation_name, role_names=role_names
        )
    }


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Siobhán", "O'Brien"),
        ("Seán", "O’Neill"),
        ("Zoë", "Nguyễn Văn"),
        ("Anna", "Smith-Jones"),
        ("Maria", "De La Cruz"),
        ("Mary Ann", "McDonald"),
        ("J", "Ng"),
        ("Li", "Wei"),
        ("Tessa", "Testa"),
        ("Adam", "Adminson"),
        ("Guestling", "Smith"),
        ("Joe", "Root"),
        ("Mark", "King"),
        ("May", "Bill"),
        ("Dev", "Mistry"),
        ("Ruby", "Tempest"),
        ("Jean-Luc", "D’Artagnan"),
        ("Dr. J. R.", "St. John"),
        ("李", "Wei"),
    ],
)
def test_real_names_are_accepted(given: str, family: str) -> None:
    assert check_person_name(given, family, policy=POLICY) == []


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Guest", "Smith"),
        ("Test", "User"),
        ("Admin", "Smith"),
        ("AdminDepartment", "Smith"),
        ("admindepartment", "Smith"),
        ("Reception", "Desk"),
        ("Jo", "Helpdesk"),
        ("Jo", "Help Desk"),
        ("Help", "Desk"),
        ("Shared", "Account"),
        ("TempStaff", "Jones"),
    ],
)
def test_no_generic_accounts(given: str, family: str) -> None:
    assert "generic-name" in codes(given, family)


def test_generic_words_are_matched_as_whole_words_not_substrings() -> None:
    assert name_words("AdminDepartment") == ["admin", "department"]
    assert name_words("LRBSuperUser") == ["lrb", "super", "user"]
    assert name_words("O'Brien-McDonald") == ["o", "brien", "mc", "donald"]
    assert codes("Testa", "Adminson") == set()


@pytest.mark.parametrize(
    ("given", "family"), [("User 1", "Smith"), ("Jo", "Smith2"), ("J0", "Lee")]
)
def test_a_name_with_digits_is_refused(given: str, family: str) -> None:
    assert "contains-digits" in codes(given, family)


def test_a_mailbox_is_not_a_name() -> None:
    assert "mailbox-as-name" in codes("jo.smith@anytown.ac.uk", "Smith")


@pytest.mark.parametrize("name", ["Finance", "HR", "Exams Office", "Human Resources", "IT"])
def test_a_department_is_not_a_person(name: str) -> None:
    assert "department-name" in codes(name, "Smith")


@pytest.mark.parametrize(
    ("given", "family"),
    [("LRBSuperUser", "Smith"), ("Jo", "lrbbatchuser"), ("Learner", "Record"), ("Super", "User")],
)
def test_a_role_name_is_not_a_person(given: str, family: str) -> None:
    found = codes(given, family)
    assert found & {"role-name", "generic-name"}
    if given != "Super":
        assert "role-name" in found


def test_extra_role_names_can_be_refused_too() -> None:
    assert "role-name" in codes("Jo", "LRS Helpdesk", role_names=["lrs-helpdesk"])


@pytest.mark.parametrize(
    ("given", "family", "organisation"),
    [
        ("Anytown College", "Smith", "Anytown College"),
        ("Anytown", "College", "Anytown College"),
        ("Anytown", "College", "The Anytown College"),
    ],
)
def test_the_organisation_is_not_a_person(given: str, family: str, organisation: str) -> None:
    assert "organisation-name" in codes(given, family, organisation_name=organisation)


def test_a_person_may_share_words_with_the_organisation_name() -> None:
    assert codes("Jane", "Doe", organisation_name="Jane Doe Training Ltd") == set()
    assert codes("Jane", "Anytown", organisation_name="Anytown College") == set()


@pytest.mark.parametrize(
    ("given", "family", "field"), [("", "Smith", "given_name"), ("Jo", "  ", "family_name")]
)
def test_given_and_family_names_are_required(given: str, family: str, field: str) -> None:
    [violation] = check_person_name(given, family, policy=POLICY)
    assert (violation.field, violation.code) == (field, "required")


def test_a_name_needs_letters() -> None:
    assert "no-letters" in codes("---", "Smith")


def test_a_name_has_only_letters_and_name_punctuation() -> None:
    assert "invalid-characters" in codes("<b>Jo</b>", "Smith")


def test_a_name_is_at_most_100_characters() -> None:
    assert "too-long" in codes("Jo", "Smith" * 21)


def test_a_refusal_tells_the_super_user_why_and_that_accounts_are_personal() -> None:
    [violation] = check_person_name("Guest", "Smith", policy=POLICY)
    assert violation.field == "given_name"
    assert "'guest'" in violation.message
    assert "one named person" in violation.message
    assert "§4.1" in violation.rule and "§4.2" in violation.rule


def test_the_policy_owner_may_extend_the_word_lists() -> None:
    policy = GenericNamePolicy.from_lists([" Kiosk ", "user"], ["Bursary"])
    assert policy.generic_words == {"kiosk", "user"}
    assert {v.code for v in check_person_name("Kiosk", "Bursary", policy=policy)} == {
        "generic-name",
        "department-name",
    }


@pytest.mark.parametrize("word", ["front desk", "user1", ""])
def test_policy_words_are_letters_and_hyphens(word: str) -> None:
    with pytest.raises(ValueError, match="lower-case letters"):
        GenericNamePolicy.from_lists([word])


def test_the_configured_word_lists_refuse_the_guide_examples() -> None:
    data = yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))
    assert set(data) == {"generic_words", "departments"}
    policy = GenericNamePolicy.from_lists(data["generic_words"], data["departments"])
    for given, family in [("User 1", "Smith"), ("AdminDepartment", "Smith"), ("Guest", "Jo")]:
        assert check_person_name(given, family, policy=policy)


def test_a_name_far_too_long_is_refused_as_too_long_without_being_analysed() -> None:
    # 400 KB of "user" once took 18.5 s of CPU (and ran out of stack) before being refused.
    huge = "user" * 100_000
    found = check_person_name(huge, huge, policy=POLICY, organisation_name=huge)
    assert [(v.field, v.code) for v in found] == [
        ("given_name", "too-long"),
        ("family_name", "too-long"),
    ]
    with pytest.raises(RuleViolation) as refused:
        name_words(huge)
    assert [v.code for v in refused.value.violations] == ["too-long"]


def test_a_long_run_of_generic_words_is_still_found_generic() -> None:
    # the linear split agrees with the longest-first search it replaced
    assert "generic-name" in codes("useradmin" * 5, "Smith")
    assert "generic-name" in codes("AdminUserAdminUser", "Smith")
