"""The refusals several use cases share, written as the domain writes its own."""

from __future__ import annotations

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.users import check_lengths
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.fields import KEYCLOAK_FIELDS


def violation(field_name: str, code: str, message: str, rule: str) -> Violation:
    return Violation(field=field_name, code=code, message=message, rule=rule)


def reason_required(action: str) -> Violation:
    return violation(
        "reason",
        "reason-required",
        f"Give the reason for this {action}; it is kept in the audit log.",
        "guide §6, §8: suspensions and reinstatements are recorded with their reason",
    )


def refuse_oversized(**values: str | None) -> None:
    """Refuse a reference or reason longer than the audit log keeps, before anything is written."""
    oversized = check_lengths(values)
    if oversized:
        raise RuleViolation(oversized)


def keycloak_refusal(error: Rejected) -> RuleViolation:
    """Keycloak's own validators said no (the user profile): report it like a domain rule."""
    found = [
        violation(
            KEYCLOAK_FIELDS.get(d.get("field", ""), d.get("field", "")),
            "keycloak-refused",
            f"Keycloak refused the {d.get('field') or 'request'}: {d.get('message')}",
            "realm user profile (realm-config/user-profile.yaml)",
        )
        for d in error.details
    ]
    return RuleViolation(found or [violation("", "keycloak-refused", str(error), "Keycloak")])
