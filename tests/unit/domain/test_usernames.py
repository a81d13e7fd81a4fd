"""Guide §4.2: "LRS automatically produces a user account name from the characters of your
given name and family name"; generic account names are refused (§4.1, §4.2). Keycloak's own
check of a typed username is a Java port, held to these rules by test_keycloak_names.py."""

from __future__ import annotations

import itertools
import re

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.usernames import (
    MAX_USERNAME_LENGTH,
    USERNAME_SHAPE,
    base_username,
    candidate_usernames,
)


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("John", "Smith", "john.smith"),
        ("Zoë", "Nguyễn", "zoe.nguyen"),
        ("José", "García", "jose.garcia"),
        ("Siobhán", "O'Brien", "siobhan.obrien"),
        ("Seán", "O’Neill", "sean.oneill"),
        ("Anna", "Smith-Jones", "anna.smith-jones"),
        ("Mary Ann", "De La Cruz", "mary-ann.de-la-cruz"),
        ("Mary  -  Ann", "Smith", "mary-ann.smith"),
        ("J", "Smith", "j.smith"),
        ("Søren", "Straße", "soren.strasse"),
        ("Ægir", "Cœur", "aegir.coeur"),
        ("Łukasz", "Þórsson", "lukasz.thorsson"),
        ("Đorđe", "Ðuric", "dorde.duric"),
        ("Işıl", "Yılmaz", "isil.yilmaz"),
        ("-Jo-", " Bloggs. ", "jo.bloggs"),
    ],
)
def test_the_account_name_is_made_from_the_given_and_family_names(
    given: str, family: str, expected: str
) -> None:
    assert base_username(given, family) == expected


def test_the_account_name_is_deterministic() -> None:
    assert base_username("Zoë", "Nguyễn Văn") == base_username("Zoë", "Nguyễn Văn")


@pytest.mark.parametrize(
    ("given", "family"),
    [("a" * 50, "b" * 50), ("a" * 10, "b" * 80), ("a" * 80, "b" * 3), ("Mary " * 20, "Jo")],
)
def test_an_account_name_is_at_most_60_characters(given: str, family: str) -> None:
    username = base_username(given, family)
    assert len(username) <= MAX_USERNAME_LENGTH
    assert re.fullmatch(USERNAME_SHAPE, username)


def test_a_long_name_keeps_a_fair_share_of_each_part() -> None:
    given, family = base_username("a" * 50, "b" * 50).split(".")
    assert len(given) >= 29 and len(family) >= 29


@pytest.mark.parametrize(
    ("given", "family", "field"), [("李", "Wei", "given_name"), ("Wei", "李", "family_name")]
)
def test_a_name_with_no_latin_letters_cannot_make_an_account_name(
    given: str, family: str, field: str
) -> None:
    with pytest.raises(RuleViolation) as raised:
        base_username(given, family)
    [violation] = raised.value.violations
    assert violation.field == field
    assert violation.code == "no-ascii-username"
    assert "Latin letters as it appears on the person's records" in violation.message


def test_the_next_free_account_name_adds_a_number() -> None:
    names = list(itertools.islice(candidate_usernames("John", "Smith"), 4))
    assert names == ["john.smith", "john.smith2", "john.smith3", "john.smith4"]


def test_every_generated_account_name_has_the_username_shape() -> None:
    for name in itertools.islice(candidate_usernames("Mary Ann", "Smith-Jones"), 12):
        assert re.fullmatch(USERNAME_SHAPE, name)
