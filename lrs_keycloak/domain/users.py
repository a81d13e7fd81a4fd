"""The details recorded for each user (guide §4.2 "What details are recorded?")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.generic_names import GenericNamePolicy, check_person_name
from lrs_keycloak.domain.usernames import base_username

TITLES: tuple[str, ...] = (
    "Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Prof", "Rev", "Sir", "Dame", "Lord", "Lady",
)  # fmt: skip
LANGUAGES: tuple[str, ...] = ("en",)
MAX_VERIFICATION_LENGTH = 255
MAX_STAFF_ID_LENGTH = 64
MAX_EMAIL_LENGTH = 254

_RULE_DETAILS = "guide §4.2: what details are recorded"
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PHONE_CHARS = re.compile(r"\+?[0-9 ()-]+")


@dataclass(frozen=True)
class UserDetails:
    """What a super user records for a user account (guide §4.2), apart from roles."""

    title: str
    given_name: str
    family_name: str
    verification_provided: str
    email: str | None = None
    telephone: str | None = None
    mobile: str | None = None
    staff_id: str | None = None
    preferred_language: str = "en"


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def is_valid_email(email: str) -> bool:
    """A simple, robust check: one '@', a dot-atom local part, a dotted domain of DNS labels."""
    if len(email) > MAX_EMAIL_LENGTH or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(_EMAIL_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def _check_phone(field: str, label: str, value: str) -> list[Violation]:
    digits = sum(ch.isdigit() for ch in value)
    if _PHONE_CHARS.fullmatch(value.strip()) and 10 <= digits <= 15:
        return []
    return [
        Violation(
            field=field,
            code="invalid-telephone",
            message=(
                f"The {label} {value!r} is not a telephone number: enter 10 to 15 digits; "
                "spaces, brackets, '-' and a leading '+' are allowed (for example "
                "01632 960 123 or +44 7700 900123)."
            ),
            rule=f"{_RULE_DETAILS} (optional contact numbers)",
        )
    ]


def validate_details(
    details: UserDetails,
    *,
    policy: GenericNamePolicy,
    organisation_name: str | None = None,
    role_names: Iterable[str] = (),
) -> tuple[list[Violation], list[Violation]]:
    """``(errors, warnings)`` for these details; the account may be saved when errors is empty.

    Once the names pass, also checks that an account name can be made from them.
    """
    errors: list[Violation] = []
    warnings: list[Violation] = []

    if _blank(details.title):
        errors.append(
            Violation(
                "title",
                "title-required",
                f"Choose the person's title ({', '.join(TITLES)}).",
                f"{_RULE_DETAILS}: title, given name and family name",
            )
        )
    elif details.title not in TITLES:
        errors.append(
            Violation(
                "title",
                "unknown-title",
                f"{details.title!r} is not one of the titles: choose one of {', '.join(TITLES)}.",
                f"{_RULE_DETAILS}: title, given name and family name",
            )
        )

    name_errors = check_person_name(
        details.given_name,
        details.family_name,
        policy=policy,
        organisation_name=organisation_name,
        role_names=role_names,
    )
    errors += name_errors
    if not name_errors:
        try:
            base_username(details.given_name, details.family_name)
        except RuleViolation as refused:
            errors += refused.violations

    verification = details.verification_provided
    if _blank(verification):
        errors.append(
            Violation(
                "verification_provided",
                "verification-required",
                "Record the verification provided: confirmation of your internal authorisation "
                "procedure for this person's access (for example the approved request "
                "reference).",
                "guide §4.1/§4.2: verification provided",
            )
        )
    elif len(verification) > MAX_VERIFICATION_LENGTH:
        errors.append(
            Violation(
                "verification_provided",
                "too-long",
                f"Shorten the verification provided to at most {MAX_VERIFICATION_LENGTH} "
                "characters; refer to your authorisation record rather than copying it.",
                "guide §4.2: verification provided",
            )
        )

    if _blank(details.email):
        warnings.append(
            Violation(
                "email",
                "email-missing",
                "Without an email address the user cannot reset a forgotten password; MIAP "
                "recommends capturing it.",
                "guide §4.2/§6.1: LRS sends forgotten password messages by email",
            )
        )
    elif details.email is not None and not is_valid_email(details.email.strip()):
        errors.append(
            Violation(
                "email",
                "invalid-email",
                f"{details.email!r} is not an email address: enter it as name@example.org.",
                "guide §4.2: email address",
            )
        )

    for field, label, value in (
        ("telephone", "telephone number", details.telephone),
        ("mobile", "mobile number", details.mobile),
    ):
        if value is not None and not _blank(value):
            errors += _check_phone(field, label, value)

    staff_id = details.staff_id or ""
    if len(staff_id) > MAX_STAFF_ID_LENGTH or not staff_id.isprintable():
        errors.append(
            Violation(
                "staff_id",
                "invalid-staff-id",
                f"The staff ID / your reference must be at most {MAX_STAFF_ID_LENGTH} "
                "printable characters.",
                "guide §4.2: Staff ID or your reference (optional)",
            )
        )

    if details.preferred_language not in LANGUAGES:
        errors.append(
            Violation(
                "preferred_language",
                "unsupported-language",
                f"{details.preferred_language!r} is not available: the LRS screens are "
                "currently only in English ('en').",
                "guide §4.2: preferred language (currently only English)",
            )
        )
    return errors, warnings
