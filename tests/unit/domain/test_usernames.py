"""Guide §4.2: "LRS automatically produces a user account name from the characters of your
given name and family name"; generic account names are refused (§4.1, §4.2)."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.generic_names import default_policy
from lrs_keycloak.domain.usernames import (
    MAX_USERNAME_LENGTH,
    USERNAME_SHAPE,
    base_username,
    candidate_usernames,
    keycloak_username_pattern,
)
from lrs_keycloak.local_keycloak import find_java

GENERIC_WORDS = sorted(default_policy().generic_words)
PATTERN = keycloak_username_pattern(GENERIC_WORDS)

ACCEPTED = ["john.smith", "john.smith2", "mary-ann.smith-jones", "j.smith", "zoe.testa"]
REFUSED = [
    "user 1",
    "user1",
    "admindepartment",
    "admin.department",
    "guest",
    "test.user",
    "reception",
    "john.user",
    "john.user2",
    "mary-admin.smith",
    "help.desk",
    "front-desk.smith",
    "john.smith\n",
    ".smith",
    "john.",
    "john..smith",
    "john.smith-",
    "2john.smith",
]


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


@pytest.mark.parametrize("username", ACCEPTED)
def test_keycloak_accepts_account_names_of_named_people(username: str) -> None:
    assert re.fullmatch(PATTERN, username)


@pytest.mark.parametrize("username", REFUSED)
def test_keycloak_refuses_generic_account_names(username: str) -> None:
    assert not re.fullmatch(PATTERN, username)


def test_the_keycloak_pattern_is_anchored_and_java_compatible() -> None:
    assert PATTERN.startswith("^") and PATTERN.endswith("$")
    assert "(?P<" not in PATTERN and "\\Z" not in PATTERN and "\\z" not in PATTERN


def test_without_generic_words_the_pattern_checks_only_the_shape() -> None:
    pattern = keycloak_username_pattern([])
    assert re.fullmatch(pattern, "test.user")
    assert not re.fullmatch(pattern, "user1")


@pytest.mark.parametrize("word", ["User", "user1", "front desk", "", "a|b", "-x"])
def test_generic_words_must_be_lower_case_letters(word: str) -> None:
    with pytest.raises(ValueError, match="lower-case"):
        keycloak_username_pattern([word])


JAVA_CHECK = """
public class CheckPattern {
    public static void main(String[] args) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(args[0]);
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < args.length; i++) {
            out.append(p.matcher(args[i]).matches() ? '1' : '0');
        }
        System.out.print(out);
    }
}
"""


def test_java_agrees_with_python_on_the_keycloak_pattern(tmp_path: Path) -> None:
    # The project needs a JDK anyway (Keycloak runs on it): find_java names what is missing.
    java = str(find_java())
    source = tmp_path / "CheckPattern.java"
    source.write_text(JAVA_CHECK)
    samples = ACCEPTED + [u for u in REFUSED if "\n" not in u]
    result = subprocess.run(
        [java, str(source), PATTERN, *samples],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = "".join("1" if re.fullmatch(PATTERN, u) else "0" for u in samples)
    assert result.stdout == expected
