"""Properties of every validator a request, the admin console or a form reaches: whatever the
input, the answer is refusals that name a field (or a RuleViolation carrying them), never
another exception that would become a 500 or a traceback."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from functools import cache
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from lrs_keycloak.domain import generic_names
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.generic_names import check_person_name, default_policy, name_words
from lrs_keycloak.domain.organisations import (
    ORG_ID_SHAPE,
    check_organisation_id,
    is_organisation_id,
)
from lrs_keycloak.domain.usernames import (
    MAX_USERNAME_LENGTH,
    USERNAME_SHAPE,
    base_username,
)
from lrs_keycloak.domain.users import UserDetails, is_valid_email, validate_details
from tests.unit.properties.strategies import PROPERTY, emails, names, telephones

POLICY = default_policy()
VOCABULARY = POLICY.generic_words | POLICY.departments
SQUASHED_VOCABULARY = frozenset(w.replace("-", "") for w in VOCABULARY)
DETAIL_FIELDS = {f.name for f in dataclasses.fields(UserDetails)}


def _is_refusal(violation: object, fields: set[str]) -> bool:
    return (
        isinstance(violation, Violation)
        and violation.field in fields
        and bool(violation.code)
        and bool(violation.message)
        and bool(violation.rule)
    )


# --- names (guide §4.1, §4.2) ------------------------------------------------------------------


@PROPERTY
@given(names, names, st.none() | names, st.lists(names, max_size=2))
def test_a_name_check_answers_only_with_refusals_naming_the_given_or_family_name(
    given_name: str, family_name: str, organisation: str | None, roles: list[str]
) -> None:
    found = check_person_name(
        given_name, family_name, policy=POLICY, organisation_name=organisation, role_names=roles
    )
    assert all(_is_refusal(v, {"given_name", "family_name"}) for v in found)


@PROPERTY
@given(names)
def test_the_words_of_a_name_are_lower_case_ascii_letters(name: str) -> None:
    assert all(re.fullmatch("[a-z]+", word) for word in name_words(name))


def _reference_split(squashed: str) -> tuple[str, ...] | None:
    """The longest-first recursive search the linear split replaced (the decisions to keep)."""

    @cache
    def split(start: int) -> tuple[str, ...] | None:
        if start == len(squashed):
            return ()
        for end in range(len(squashed), start, -1):
            if squashed[start:end] in SQUASHED_VOCABULARY:
                rest = split(end)
                if rest is not None:
                    return (squashed[start:end], *rest)
        return None

    return split(0)


_VOCABULARY_RUNS = st.lists(
    st.sampled_from(sorted(SQUASHED_VOCABULARY)) | st.text(alphabet="adeinrstu", max_size=3),
    max_size=8,
).map("".join)


@PROPERTY
@given(_VOCABULARY_RUNS)
def test_a_name_made_of_generic_words_is_split_as_the_longest_first_search_split_it(
    squashed: str,
) -> None:
    assert generic_names._segments(squashed, SQUASHED_VOCABULARY) == _reference_split(squashed)


def _reference_contains(words: Sequence[str], phrase: str) -> bool:
    parts = phrase.split("-")
    n = len(parts)
    return any(list(words[i : i + n]) == parts for i in range(len(words) - n + 1))


@PROPERTY
@given(st.lists(st.sampled_from([*sorted(SQUASHED_VOCABULARY), "help", "desk", "front", "jo"])))
def test_generic_phrases_are_found_as_consecutive_whole_words(words: list[str]) -> None:
    expected = {w for w in VOCABULARY if _reference_contains(words, w)}
    assert generic_names._phrases(words, VOCABULARY) == expected


@PROPERTY
@given(
    st.text(min_size=1, max_size=8).map(
        lambda seed: seed * (generic_names.MAX_ANALYSED_LENGTH // len(seed) + 1)
    ),
    names,
)
def test_a_name_longer_than_any_name_is_refused_as_too_long_without_analysis(
    long_name: str, other: str
) -> None:
    found = check_person_name(long_name, other, policy=POLICY, organisation_name=long_name)
    assert [v.code for v in found if v.field == "given_name"] == ["too-long"]
    try:
        name_words(long_name)
    except RuleViolation as refused:
        assert [v.code for v in refused.violations] == ["too-long"]
    else:
        raise AssertionError("name_words read a text longer than MAX_ANALYSED_LENGTH")


# --- user details (guide §4.2) -----------------------------------------------------------------


@PROPERTY
@given(
    st.text(max_size=6) | st.sampled_from(["Mr", "Ms", "Dr"]),
    names,
    names,
    st.text(max_size=300),
    st.none() | emails,
    st.none() | telephones,
    st.none() | telephones,
    st.none() | st.text(max_size=80),
    st.sampled_from(["en", "fr", "", " en"]) | st.text(max_size=4),
)
def test_user_details_are_answered_only_with_refusals_naming_a_detail(
    title: str,
    given_name: str,
    family_name: str,
    verification: str,
    email: str | None,
    telephone: str | None,
    mobile: str | None,
    staff_id: str | None,
    language: str,
) -> None:
    details = UserDetails(
        title, given_name, family_name, verification, email, telephone, mobile, staff_id, language
    )
    errors, warnings = validate_details(details, policy=POLICY, organisation_name="Anytown")
    assert all(_is_refusal(v, DETAIL_FIELDS) for v in [*errors, *warnings])


@PROPERTY
@given(telephones)
def test_a_refused_telephone_number_is_named_as_the_telephone(telephone: str) -> None:
    details = UserDetails("Ms", "Ada", "Lovelace", "HR check 1", telephone=telephone)
    errors, _ = validate_details(details, policy=POLICY)
    assert {v.field for v in errors} <= {"telephone"}


# --- account names (guide §4.2) ----------------------------------------------------------------


@PROPERTY
@given(names, names)
def test_an_account_name_has_the_username_shape_or_the_names_are_refused(
    given_name: str, family_name: str
) -> None:
    try:
        username = base_username(given_name, family_name)
    except RuleViolation as refused:
        assert all(_is_refusal(v, {"given_name", "family_name"}) for v in refused.violations)
    else:
        assert re.fullmatch(USERNAME_SHAPE, username)
        assert len(username) <= MAX_USERNAME_LENGTH


@PROPERTY
@given(names, names)
def test_an_account_name_from_accepted_names_has_no_generic_word(
    given_name: str, family_name: str
) -> None:
    details = UserDetails("Ms", given_name, family_name, "HR check 1", email="a@example.org")
    errors, _ = validate_details(details, policy=POLICY)
    if not errors:
        username = base_username(given_name, family_name)
        assert re.fullmatch(USERNAME_SHAPE, username)
        assert not set(re.split(r"[.-]", username)) & POLICY.generic_words


# --- organisation ids --------------------------------------------------------------------------


@PROPERTY
@given(
    st.from_regex(ORG_ID_SHAPE, fullmatch=True)
    | st.text(max_size=70)
    | st.text(alphabet="abc-/.#?%2F", max_size=12)
    | st.none()
    | st.integers()
    | st.lists(st.text(max_size=3), max_size=2)
)
def test_an_organisation_id_has_one_shape_and_is_a_single_plain_url_segment(
    value: object,
) -> None:
    refused = check_organisation_id(value, "organisation_id")
    shaped = isinstance(value, str) and re.fullmatch(ORG_ID_SHAPE, value) is not None
    assert is_organisation_id(value) == shaped == (refused is None)
    if refused is not None:
        assert _is_refusal(refused, {"organisation_id"})
    else:
        assert isinstance(value, str)
        # nothing to quote, no dot segment, no query or fragment: one group, one name
        assert quote(value, safe="") == value and value not in (".", "..")


# --- email addresses ---------------------------------------------------------------------------


@PROPERTY
@given(emails)
def test_an_accepted_email_address_is_one_mailbox_of_printable_ascii(email: str) -> None:
    if is_valid_email(email):
        assert email.count("@") == 1
        assert len(email) <= 254
        assert email.isascii() and email.isprintable() and " " not in email
