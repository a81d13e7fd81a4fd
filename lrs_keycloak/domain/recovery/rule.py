"""The rule every recovery refusal cites, and how a refusal is written."""

from __future__ import annotations

from lrs_keycloak.domain.errors import Violation

RULE = "guide §10.2: lost your only Super User account"


def violation(field_name: str, code: str, message: str, rule: str = RULE) -> Violation:
    return Violation(field=field_name, code=code, message=message, rule=rule)


def is_blank(value: str | None) -> bool:
    return value is None or not value.strip()
