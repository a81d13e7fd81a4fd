"""The details recorded for each user (guide §4.2 "What details are recorded?")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.generic_names import GenericNamePolicy, check_person_name
from lrs_keycloak.domain.usernames import base_username

TITLES: tuple[str, ...] = (
    "Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Prof", "Rev", "Sir", "Dame", "Lord", "Lady",
)  # fmt: skip
LANGUAGES: tuple[str, ...] = ("en",)
# Every free-text value has a maximum length, declared here once: the store's columns
# (store/models.py), the OpenAPI schema and the boundaries derive from these, and a test checks
# the realm's user profile (realm-config/user-profile.yaml) accepts at least as much. A value is
# measured before anything else looks at it, so an oversized one is refused cheaply and never
# reaches Keycloak or the audit log half-written.
MAX_NAME_LENGTH = 100  # user profile: firstName/lastName length max 100
MAX_VERIFICATION_LENGTH = 255
MAX_STAFF_ID_LENGTH = 64
MAX_EMAIL_LENGTH = 254  # RFC 5321: the longest address a mail path carries
MAX_TELEPHONE_LENGTH = 32  # 15 digits (E.164) with room for spaces, brackets and '-'
#: Title and language are chosen from lists; a short unknown value gets the list in its refusal,
#: only a value no list entry could ever be is refused for its length.
MAX_CHOICE_LENGTH = 32
#: An authorisation reference points at a record elsewhere (audit column String(255)).
MAX_REFERENCE_LENGTH = 255
#: A reason is a sentence or two for the audit log (Text column; capped so nobody pastes a file).
MAX_REASON_LENGTH = 1000
_RULE_DETAILS = "guide §4.2: what details are recorded"
_RULE_NAMES = f"{_RULE_DETAILS}: title, given name and family name"


@dataclass(frozen=True)
class DetailField:
    """One of the details recorded for a user (guide §4.2), declared once: the API's models,
    the forms and the checks below derive their names, limits and refusals from it."""

    #: As requests, forms and ``UserDetails`` name it.
    name: str
    #: As a sentence names it ("the {label}").
    label: str
    required: bool
    max_length: int
    #: What to enter, for the API document and help texts.
    description: str
    #: The guide's rule it comes from, cited by its refusals.
    rule: str
    #: The refusal of a missing or blank value (required fields only).
    missing_code: str = "required"
    missing_message: str = ""
    #: Whether the person may change it about themselves (guide §5: names and contact numbers;
    #: never how they were verified, nor the organisation's reference for them).
    self_editable: bool = True

    def missing(self) -> Violation:
        """The one answer to this required detail missing or blank, whoever reads it."""
        return Violation(self.name, self.missing_code, self.missing_message, self.rule)


DETAIL_FIELDS: tuple[DetailField, ...] = (
    DetailField(
        "title",
        "title",
        True,
        MAX_CHOICE_LENGTH,
        f"One of {', '.join(TITLES)}.",
        _RULE_NAMES,
        "title-required",
        f"Choose the person's title ({', '.join(TITLES)}).",
    ),
    DetailField(
        "given_name",
        "given name",
        True,
        MAX_NAME_LENGTH,
        "A named person's given name, never a generic or department name.",
        # generic_names.check_person_name answers a blank name with the same violation (a test
        # checks they agree): it cannot import this module, which imports it.
        "guide §4.2: title, given name and family name are recorded",
        "required",
        "Enter the person's given name; it is required.",
    ),
    DetailField(
        "family_name",
        "family name",
        True,
        MAX_NAME_LENGTH,
        "As for the given name.",
        "guide §4.2: title, given name and family name are recorded",
        "required",
        "Enter the person's family name; it is required.",
    ),
    DetailField(
        "verification_provided",
        "verification provided",
        True,
        MAX_VERIFICATION_LENGTH,
        "How the organisation checked the person's identity and authorisation.",
        "guide §4.1/§4.2: verification provided",
        "verification-required",
        "Record the verification provided: confirmation of your internal authorisation "
        "procedure for this person's access (for example the approved request reference).",
        self_editable=False,
    ),
    DetailField(
        "email",
        "email address",
        False,
        MAX_EMAIL_LENGTH,
        "Strongly recommended: without it the user cannot set or reset a password (a warning "
        "says so). Keycloak mails the set-password link to it.",
        "guide §4.2: email address",
    ),
    DetailField(
        "telephone",
        "telephone number",
        False,
        MAX_TELEPHONE_LENGTH,
        "10 to 15 digits; spaces, brackets, '-' and a leading '+' are allowed.",
        f"{_RULE_DETAILS} (optional contact numbers)",
    ),
    DetailField(
        "mobile",
        "mobile number",
        False,
        MAX_TELEPHONE_LENGTH,
        "As for the telephone number.",
        f"{_RULE_DETAILS} (optional contact numbers)",
    ),
    DetailField(
        "staff_id",
        "staff ID",
        False,
        MAX_STAFF_ID_LENGTH,
        "The organisation's staff ID or reference for the person, printable characters.",
        "guide §4.2: Staff ID or your reference (optional)",
        self_editable=False,
    ),
    DetailField(
        "preferred_language",
        "preferred language",
        False,
        MAX_CHOICE_LENGTH,
        "English (en) only today.",
        "guide §4.2: preferred language (currently only English)",
    ),
)
#: The declaration by field name.
DETAILS: Mapping[str, DetailField] = {f.name: f for f in DETAIL_FIELDS}
REQUIRED_DETAILS: tuple[str, ...] = tuple(f.name for f in DETAIL_FIELDS if f.required)
SELF_EDITABLE_DETAILS: frozenset[str] = frozenset(f.name for f in DETAIL_FIELDS if f.self_editable)
#: The longest value each free-text field accepts, by the field names requests use.
MAX_LENGTHS: Mapping[str, int] = {
    **{f.name: f.max_length for f in DETAIL_FIELDS},
    "reference": MAX_REFERENCE_LENGTH,
    "reason": MAX_REASON_LENGTH,
}

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


def too_long(field: str, value: str | None) -> Violation | None:
    """The refusal of a value longer than its field's maximum (MAX_LENGTHS); None if it fits."""
    limit = MAX_LENGTHS[field]
    if value is None or len(value) <= limit:
        return None
    label = field.replace("_", " ")
    return Violation(
        field,
        "too-long",
        f"Shorten the {label} to at most {limit} characters (it has {len(value)}); "
        "refer to a longer record rather than copying it.",
        "guide §4.2, §5-§7: details and audit records are kept, each value within its "
        "maximum length",
    )


def not_editable(field: str) -> Violation:
    """A change of anything but a detail (roles, the username…): refused by name."""
    return Violation(field, "not-editable", f"{field} cannot be changed here.", "guide §5")


def check_lengths(values: Mapping[str, str | None]) -> list[Violation]:
    """One too-long refusal per value over its field's maximum (fields without one are ignored:
    their own checks refuse them)."""
    found = (too_long(name, value) for name, value in values.items() if name in MAX_LENGTHS)
    return [v for v in found if v is not None]


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


def check_telephone(field: str, label: str, value: str) -> list[Violation]:
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
            rule=DETAILS["telephone"].rule,
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
    # Lengths first, and nothing else when one is over: the name analysis is not linear in the
    # length, and a refusal of an oversized value needs no more reasons.
    oversized = check_lengths(asdict(details))
    if oversized:
        return oversized, []
    errors: list[Violation] = []
    warnings: list[Violation] = []

    if _blank(details.title):
        errors.append(DETAILS["title"].missing())
    elif details.title not in TITLES:
        errors.append(
            Violation(
                "title",
                "unknown-title",
                f"{details.title!r} is not one of the titles: choose one of {', '.join(TITLES)}.",
                DETAILS["title"].rule,
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

    if _blank(details.verification_provided):
        errors.append(DETAILS["verification_provided"].missing())

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
                DETAILS["email"].rule,
            )
        )

    for number in (DETAILS["telephone"], DETAILS["mobile"]):
        value = getattr(details, number.name)
        if value is not None and not _blank(value):
            errors += check_telephone(number.name, number.label, value)

    staff_id = details.staff_id or ""
    if not staff_id.isprintable():
        errors.append(
            Violation(
                "staff_id",
                "invalid-staff-id",
                f"The staff ID / your reference must be at most {MAX_STAFF_ID_LENGTH} "
                "printable characters.",
                DETAILS["staff_id"].rule,
            )
        )

    if details.preferred_language not in LANGUAGES:
        errors.append(
            Violation(
                "preferred_language",
                "unsupported-language",
                f"{details.preferred_language!r} is not available: the LRS screens are "
                "currently only in English ('en').",
                DETAILS["preferred_language"].rule,
            )
        )
    return errors, warnings


def _same_text(a: str | None, b: str | None) -> bool:
    """Equal and not blank, ignoring case and surrounding spaces."""
    return bool(a and b and a.strip() and a.strip().casefold() == b.strip().casefold())


def identifies_person(details: UserDetails) -> bool:
    """Whether these details say who the person is beyond their names: two people may share a
    name, but not a name together with an email address or a staff ID."""
    return not _blank(details.email) or not _blank(details.staff_id)


def same_person(new: UserDetails, existing: UserDetails) -> bool:
    """A creation for someone the organisation already has an account for (guide §10.1: one
    logon per person per organisation): the same names, and the same email or staff ID.

    A repeated creation (a retry after a lost answer, a form sent twice) is answered with the
    existing account instead of making ``ada.lovelace2`` for the same person.
    """
    return (
        _same_text(new.given_name, existing.given_name)
        and _same_text(new.family_name, existing.family_name)
        and (_same_text(new.email, existing.email) or _same_text(new.staff_id, existing.staff_id))
    )


def repeats_creation(
    details: UserDetails,
    roles: Iterable[str],
    existing: UserDetails,
    existing_roles: Iterable[str],
    existing_enabled: bool,
) -> bool:
    """A creation that was already done: the same person (``same_person``) with the same roles,
    and their account is in use. Anything else (other roles, a suspended account, e.g. the help
    desk nominating an existing user as the new super user) is a creation of its own."""
    return existing_enabled and set(roles) == set(existing_roles) and same_person(details, existing)


def unfinished_creation(
    details: UserDetails,
    roles: Iterable[str],
    existing: UserDetails,
    existing_roles: Iterable[str],
    recorded: bool,
) -> bool:
    """An account a creation of this person left half-made (ADR 7, docs/adr/0023): Keycloak made
    it, and perhaps some of its roles, but the creation stopped before its audit record stood
    (Keycloak stopped, or its answer was lost, so the clean-up could not delete it). Nothing
    records it, so it is nobody's account yet: a repeat of the creation completes it instead of
    making a second account for the same person."""
    return not recorded and set(existing_roles) <= set(roles) and same_person(details, existing)
