"""What every user-administration use case answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.store.audit import AuditEvent


@dataclass
class Result:
    """What a use case answers: the user (if any), warnings, and the audit event written."""

    user: dict[str, Any] | None = None
    warnings: list[Violation] = field(default_factory=list)
    event: AuditEvent | None = None
    users: list[dict[str, Any]] | None = None
    #: A creation answered with the account the person already has (nothing was created).
    existing: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"warnings": [w.as_dict() for w in self.warnings]}
        if self.existing:
            out["existing"] = True
        if self.user is not None:
            out["user"] = self.user
        if self.users is not None:
            out["users"] = self.users
        if self.event is not None:
            out["event_id"] = self.event.id
        return out
