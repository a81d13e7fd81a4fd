"""Recording an organisation's Organisation Agreement signatory (guide §1.1, §10.2).

Only MIAP records it — the operator at registration, or a help desk agent from the signed
agreement — and every change is an audit event naming who made it, what it was before and
why. The help desk's recovery sends approval links only to this person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import check_organisation_id
from lrs_keycloak.domain.signatories import (
    RULE,
    RecordedSignatory,
    Signatory,
    normalised,
    validate_signatory,
)
from lrs_keycloak.domain.users import too_long
from lrs_keycloak.services.ports import Directory, Signatories
from lrs_keycloak.store.audit import AuditEvent


class SignatoryBook:
    """The signatories MIAP holds, read and changed through one audited path."""

    def __init__(
        self,
        store: Signatories,
        directory: Directory,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock

    def get(self, organisation_id: str) -> RecordedSignatory | None:
        return self.store.get(organisation_id)

    def record(
        self,
        actor: str,
        organisation_id: str,
        signatory: Signatory,
        reason: str | None = None,
        registering: bool = False,
    ) -> tuple[RecordedSignatory, AuditEvent]:
        """Record (or change) the signatory; refused, with nothing written, when the details
        are wrong, the organisation is unknown, or a change gives no reason."""
        problems = validate_signatory(signatory)
        previous = self.store.get(organisation_id)
        reason = (reason or "").strip() or None
        if previous is not None and reason is None:
            problems.append(
                Violation(
                    "reason",
                    "reason-required",
                    f"{organisation_id} already has a signatory ({previous.signatory.name}): give "
                    "the reason for the change (e.g. the new signed Organisation Agreement's "
                    "reference); it is kept in the audit log.",
                    RULE,
                )
            )
        elif (oversized := too_long("reason", reason)) is not None:
            problems.append(oversized)
        refused = check_organisation_id(organisation_id)
        if refused:
            problems.append(refused)
        if not problems and self.directory.find_organisation(organisation_id) is None:
            problems.append(
                Violation(
                    "organisation_id",
                    "unknown-organisation",
                    f"No registered organisation has the id {organisation_id!r}.",
                    RULE,
                )
            )
        if problems:
            raise RuleViolation(problems)
        clean = normalised(signatory)
        now = self.clock()
        event = AuditEvent(
            AuditKind.ORGANISATION_SIGNATORY_RECORDED,
            actor,
            organisation_id,
            target=clean.email,
            reason=reason,
            details={
                "signatory": clean.as_dict(),
                "previous": previous.as_dict() if previous else None,
                "at_registration": registering,
            },
            at=now,
        )
        return self.store.record(organisation_id, clean, actor, event, now=now)


__all__ = ["SignatoryBook"]
