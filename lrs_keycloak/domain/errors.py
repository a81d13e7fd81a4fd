"""Rule violations: what the domain reports when a request breaks a rule of the guide."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    ``field`` names the input at fault (or ``""`` when the whole request is at fault),
    ``code`` is a stable machine-readable id, ``message`` is plain English for a super user
    and says what to do, and ``rule`` cites the guide (e.g. ``"guide §4.2: no generic accounts"``).
    """

    field: str
    code: str
    message: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        """As every answer (API, CLI --json) shows it."""
        return {"field": self.field, "code": self.code, "message": self.message, "rule": self.rule}


class RuleViolation(Exception):
    """Raised when a request breaks one or more rules; carries every violation found."""

    violations: tuple[Violation, ...]

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = tuple(violations)
        if not self.violations:
            raise ValueError("RuleViolation needs at least one violation")
        super().__init__(" ".join(v.message for v in self.violations))

    def __str__(self) -> str:
        return " ".join(v.message for v in self.violations)
