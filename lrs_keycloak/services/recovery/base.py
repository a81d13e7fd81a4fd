"""The recovery use cases' shared collaborators, answers and helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import SUPER_USER, Actor, Member
from lrs_keycloak.domain.recovery import (
    RULE,
    CaseState,
    check_transition,
)
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.ports import Audit, ContactBook, Directory, Mailer, RecoveryCases
from lrs_keycloak.services.recovery.links import ApprovalLinks
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.recovery import RecoveryCaseRow


@dataclass(frozen=True)
class HelpDeskCaller(Operator):
    """A help desk agent acting through ``UserAdmin`` for the recovery (an operator's powers,
    recorded under the agent's own name)."""

    @property
    def username(self) -> str:
        return self.name


@dataclass
class Outcome:
    """What a recovery use case answers: the case, warnings, and the created user if any."""

    case: dict[str, Any]
    warnings: list[Violation]
    user: dict[str, Any] | None = None
    #: ``open`` made a new case (False when it recorded the form on a case awaiting it).
    new_case: bool = False
    #: On completion: the nominee, the senior manager and the approval the agent relied on.
    relied_on: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "case": self.case,
            "warnings": [w.as_dict() for w in self.warnings],
        }
        if self.user is not None:
            out["user"] = self.user
        if self.relied_on is not None:
            out["relied_on"] = self.relied_on
        return out


class LinkRefused(Exception):
    """The approval link cannot be used (expired, used, replaced or forged)."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation
        self.code = violation.code


def _refuse(code: str, message: str, field_name: str = "", rule: str = RULE) -> RuleViolation:
    return RuleViolation([Violation(field_name, code, message, rule)])


def _already_open(case_id: int, raced: bool = False) -> RuleViolation:
    message = (
        f"Recovery case {case_id} for this organisation is still open: finish or cancel it "
        "first, so only one new super user is created."
    )
    if raced:  # it appeared while this one was being opened: perhaps the enforcer's
        message += " It was opened a moment ago; if it awaits its form, open again to record it."
    return _refuse("case-already-open", message, "organisation_id")


class RecoveryBase:
    """What every recovery use case shares: its collaborators and small helpers."""

    def __init__(
        self,
        admin: UserAdmin,
        store: RecoveryCases,
        contacts: ContactBook,
        mailer: Mailer,
        links: ApprovalLinks,
        public_url: str,
        *,
        signatories: SignatoryBook,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.admin = admin
        # The same directory and log as user administration's: the recovery creates its super
        # user through ``admin``, and reads what that wrote.
        self.directory: Directory = admin.directory
        self.audit: Audit = admin.audit
        self.policy = admin.policy
        self.store = store
        self.contacts = contacts
        self.mailer = mailer
        self.links = links
        self.public_url = public_url.rstrip("/")
        self.signatories = signatories
        self.clock = clock

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _require_helpdesk(agent: Actor) -> None:
        if not agent.is_helpdesk:
            raise NotPermitted("only an active MIAP help desk agent handles recovery cases")

    def _record(self, action: AuditKind, actor: str, row: RecoveryCaseRow, **kw: Any) -> AuditEvent:
        details = {"case_id": row.id, **kw.pop("details", {})}
        return self.audit.record(
            AuditEvent(
                action,
                actor,
                row.organisation_id,
                reference=row.form_reference,
                details=details,
                at=self.clock(),
                **kw,
            )
        )

    def _row(self, case_id: int) -> RecoveryCaseRow:
        row = self.store.get(case_id)
        if row is None:
            raise NotVisible(f"recovery case {case_id} not found")
        return row

    def _group(self, org_id: str) -> OrgGroup:
        group = self.directory.find_organisation(org_id)
        if group is None:
            raise _refuse(
                "unknown-organisation",
                f"No registered organisation has the id {org_id!r}.",
                "organisation_id",
            )
        return group

    def _members(self, group: OrgGroup, super_user_locks: bool = True) -> list[UserRecord]:
        users = self.directory.members(group, self.policy.roles.names)
        if super_user_locks:
            self.directory.fill_locks([u for u in users if u.enabled and SUPER_USER in u.roles])
        return users

    def _member_view(self, group: OrgGroup, users: list[UserRecord]) -> list[Member]:
        org_id = group.organisation.id
        return [Member(u.username, org_id, u.roles, u.enabled, u.locked) for u in users]

    def _moved(
        self, row: RecoveryCaseRow | None, case_id: int, target: CaseState
    ) -> RecoveryCaseRow:
        """The moved row, or the rule that explains why another caller got there first."""
        if row is not None:
            return row
        current = self._row(case_id)
        refused = check_transition(CaseState(current.state), target)
        raise RuleViolation(
            [refused or Violation("state", "changed", "The case changed meanwhile; reload.", RULE)]
        )
