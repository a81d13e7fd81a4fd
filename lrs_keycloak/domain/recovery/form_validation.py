"""Checking the New Super User Form's content before a case is opened or the form recorded."""

from __future__ import annotations

from datetime import date

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import check_organisation_id
from lrs_keycloak.domain.recovery.form import (
    FORM_LABELS,
    MAX_TEXT,
    NewSuperUserForm,
    too_long,
    unknown_title,
    unreadable,
)
from lrs_keycloak.domain.recovery.rule import is_blank as _blank
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.users import (
    MAX_STAFF_ID_LENGTH,
    TITLES,
    check_telephone,
    is_valid_email,
)


def validate_form(form: NewSuperUserForm, today: date) -> tuple[list[Violation], list[Violation]]:
    """``(errors, warnings)`` for the form's content (names are checked by ``validate_details``).

    The nominee needs an email: the set-password email is the only way they get a password
    (the help desk never sees one). The senior manager needs one for the approval link and must
    be someone other than the nominee.
    """
    errors: list[Violation] = []
    warnings: list[Violation] = []
    # A blank title is answered as an unknown one, below.
    required = {name: label for name, label in FORM_LABELS.items() if name != "nominee_title"}
    for name, label in required.items():
        if _blank(getattr(form, name)):
            errors.append(unreadable(name))
        elif len(getattr(form, name)) > MAX_TEXT:
            errors.append(too_long(name))
        elif not getattr(form, name).isprintable():
            # Line breaks and control characters would reach the approval email's headers.
            errors.append(
                _v(name, "invalid-characters", f"Give {label} on one line, as plain text.")
            )
    if not _blank(form.organisation_id):
        # The one id shape, untrimmed: "x/../org", "org#2" or " org" would otherwise reach the
        # same organisation under another name, and "one open case" would not hold.
        refused = check_organisation_id(form.organisation_id, "organisation_id")
        if refused:
            errors.append(refused)
    if form.nominee_title not in TITLES:
        errors.append(unknown_title())
    for name in ("nominee_email", "manager_email"):
        value = getattr(form, name)
        if not _blank(value) and not is_valid_email(value.strip()):
            errors.append(
                _v(name, "invalid-email", f"{value!r} is not an email address (name@example.org).")
            )
    if (
        not _blank(form.nominee_email)
        and form.nominee_email.strip().casefold() == form.manager_email.strip().casefold()
    ):
        errors.append(
            _v(
                "manager_email",
                "manager-is-nominee",
                "The senior manager approving the form must be someone other than the nominee.",
            )
        )
    phone = form.nominee_telephone.strip()
    if phone and len(phone) <= MAX_TEXT:
        # The account's own check: a number the form accepts is one the account accepts.
        errors += [
            _v("nominee_telephone", v.code, v.message, v.rule)
            for v in check_telephone("nominee_telephone", "telephone number", phone)
        ]
    staff = form.nominee_staff_id or ""
    if len(staff) > MAX_STAFF_ID_LENGTH or not staff.isprintable():
        errors.append(too_long("nominee_staff_id"))
    if form.received_on > today:
        errors.append(
            _v("received_on", "in-the-future", "The date received cannot be in the future.")
        )
    if not form.manager_signed_agreement:
        warnings.append(
            _v(
                "manager_signed_agreement",
                "not-agreement-signatory",
                "The approving senior manager did not sign the Organisation Agreement; the guide "
                "prefers that person. Check their seniority before sending the approval link.",
            )
        )
    return errors, warnings
