"""The New Super User Form (guide §10.2): its fields, read from JSON-like input, and the
account it asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.users import MAX_STAFF_ID_LENGTH, TITLES, UserDetails

MAX_TEXT = 255

#: The form's required text fields, then all its required fields (as JSON input names them).
FORM_TEXT_FIELDS = (
    "organisation_id",
    "nominee_title",
    "nominee_given_name",
    "nominee_family_name",
    "nominee_email",
    "nominee_telephone",
    "manager_name",
    "manager_job_title",
    "manager_email",
    "form_reference",
)
FORM_REQUIRED_FIELDS = (*FORM_TEXT_FIELDS, "manager_signed_agreement", "received_on")
#: How a refusal names each text field ("Give {label} as written on the form").
FORM_LABELS: Mapping[str, str] = {
    "organisation_id": "the organisation",
    "nominee_title": "the nominee's title",
    "nominee_given_name": "the nominee's given name",
    "nominee_family_name": "the nominee's family name",
    "nominee_email": "the nominee's email address",
    "nominee_telephone": "the nominee's telephone number",
    "manager_name": "the senior manager's name",
    "manager_job_title": "the senior manager's job title",
    "manager_email": "the senior manager's email address",
    "form_reference": "the form's reference",
}
#: The longest value each text field accepts.
FORM_MAX_LENGTHS: Mapping[str, int] = {
    **dict.fromkeys(FORM_TEXT_FIELDS, MAX_TEXT),
    "nominee_staff_id": MAX_STAFF_ID_LENGTH,
}
_DATE = "Give the date received as YYYY-MM-DD."
#: A field that is missing or not of its kind, as every reader of the form answers it.
_UNREADABLE: Mapping[str, tuple[str, str]] = {
    **{
        name: ("required", f"Give {label} as written on the form.")
        for name, label in FORM_LABELS.items()
    },
    "nominee_staff_id": ("invalid", "The staff ID must be text."),
    "manager_signed_agreement": (
        "required",
        "Say (true or false) whether the senior manager signed the Organisation Agreement.",
    ),
    "make_primary_contact": ("invalid", "Must be true or false."),
    "received_on": ("invalid-date", _DATE),
}


def unreadable(name: str) -> Violation:
    """The one answer to a form field that is missing or not of its kind (a number for a
    name, "yes" for true), whether the form came as an API body or a form file. A blank text
    gets the same answer from ``validate_form``."""
    code, message = _UNREADABLE[name]
    return _v(name, code, message)


def too_long(name: str) -> Violation:
    """The one answer to a form field longer than FORM_MAX_LENGTHS allows."""
    if name == "nominee_staff_id":
        return _v(
            name,
            "invalid-staff-id",
            f"The staff ID must be at most {MAX_STAFF_ID_LENGTH} printable characters.",
        )
    if name == "nominee_title":
        return unknown_title()
    return _v(name, "too-long", f"Shorten {FORM_LABELS[name]} to {MAX_TEXT} characters.")


def unknown_title() -> Violation:
    return _v("nominee_title", "unknown-title", f"Choose the title from {', '.join(TITLES)}.")


@dataclass(frozen=True)
class NewSuperUserForm:
    """The content of the New Super User Form the organisation sent to MIAP (guide §10.2)."""

    organisation_id: str
    nominee_title: str
    nominee_given_name: str
    nominee_family_name: str
    nominee_email: str
    nominee_telephone: str
    manager_name: str
    manager_job_title: str
    manager_email: str
    manager_signed_agreement: bool
    form_reference: str
    received_on: date
    nominee_staff_id: str | None = None
    #: Guide §9: the new super user becomes MIAP's primary contact point when the form says so.
    make_primary_contact: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "organisation_id": self.organisation_id,
            "nominee_title": self.nominee_title,
            "nominee_given_name": self.nominee_given_name,
            "nominee_family_name": self.nominee_family_name,
            "nominee_email": self.nominee_email,
            "nominee_telephone": self.nominee_telephone,
            "nominee_staff_id": self.nominee_staff_id,
            "manager_name": self.manager_name,
            "manager_job_title": self.manager_job_title,
            "manager_email": self.manager_email,
            "manager_signed_agreement": self.manager_signed_agreement,
            "form_reference": self.form_reference,
            "received_on": self.received_on.isoformat(),
            "make_primary_contact": self.make_primary_contact,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NewSuperUserForm:
        """From JSON-like input; raises RuleViolation naming each missing or mistyped field."""
        problems: list[Violation] = []
        values: dict[str, object] = {}
        for name in FORM_TEXT_FIELDS:
            value = data.get(name)
            if not isinstance(value, str):
                problems.append(unreadable(name))
            values[name] = value if isinstance(value, str) else ""
        staff = data.get("nominee_staff_id")
        if staff is not None and not isinstance(staff, str):
            problems.append(unreadable("nominee_staff_id"))
        signed = data.get("manager_signed_agreement")
        if not isinstance(signed, bool):
            problems.append(unreadable("manager_signed_agreement"))
        primary = data.get("make_primary_contact", False)
        if not isinstance(primary, bool):
            problems.append(unreadable("make_primary_contact"))
        received = data.get("received_on")
        received_on = date.min
        if isinstance(received, datetime):  # a YAML form file's "2026-11-29 10:00"
            problems.append(unreadable("received_on"))
        elif isinstance(received, date):
            received_on = received
        else:
            try:
                received_on = date.fromisoformat(str(received))
            except ValueError:
                problems.append(unreadable("received_on"))
        if problems:
            raise RuleViolation(problems)
        return cls(
            **{k: str(v) for k, v in values.items()},
            nominee_staff_id=staff if isinstance(staff, str) and staff.strip() else None,
            manager_signed_agreement=bool(signed),
            make_primary_contact=bool(primary),
            received_on=received_on,
        )


def nominee_details(form: NewSuperUserForm) -> UserDetails:
    """The new super user's account details; the verification names the form."""
    return UserDetails(
        title=form.nominee_title,
        given_name=form.nominee_given_name,
        family_name=form.nominee_family_name,
        verification_provided=(
            f"New Super User Form {form.form_reference.strip()} approved by "
            f"{form.manager_name.strip()}, {form.manager_job_title.strip()}"
        )[:255],
        email=form.nominee_email.strip(),
        telephone=form.nominee_telephone.strip() or None,
        staff_id=form.nominee_staff_id,
    )
