"""The senior manager's answer: the approval link (sent, viewed, decided, expired) and a
second agent's paper approval."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.recovery import (
    APPROVAL_BY_LINK,
    APPROVAL_ON_PAPER,
    RULE,
    CaseState,
    NewSuperUserForm,
    check_link_decision,
    check_paper_approval,
    check_transition,
    is_link_expired,
    require_form,
)
from lrs_keycloak.domain.signatories import (
    check_link_recipient,
)
from lrs_keycloak.services.recovery.base import LinkRefused, Outcome, RecoveryBase
from lrs_keycloak.services.recovery.constants import SYSTEM, S
from lrs_keycloak.services.recovery.links import token_hash
from lrs_keycloak.services.recovery.mail import MailFailed
from lrs_keycloak.services.recovery.wording import email
from lrs_keycloak.store.recovery import (
    RecoveryCaseRow,
    to_case,
)


class ApprovalSteps(RecoveryBase):
    """Asking the senior manager, and recording their answer."""

    # --- the approval link -------------------------------------------------------------------

    def send_link(self, agent: Actor, case_id: int) -> Outcome:
        """(Re)send the approval link; a new link replaces the previous one."""
        self._require_helpdesk(agent)
        return Outcome(self._send_link(agent, self._row(case_id)).as_dict(), [])

    def _link_refusal(self, agent: Actor, row: RecoveryCaseRow) -> Violation | None:
        """Why no approval link may go out for this case, if it may not (issue 9 §1)."""
        form = require_form(to_case(row))
        agents = {row.raised_by, agent.username}
        if row.form_recorded_by:
            agents.add(row.form_recorded_by)
        return check_link_recipient(
            form.manager_email, self.signatories.get(row.organisation_id), agents
        )

    def _send_link(self, agent: Actor, row: RecoveryCaseRow) -> RecoveryCaseRow:
        before = CaseState(row.state)
        form = require_form(to_case(row))
        refused = check_transition(before, S.AWAITING_APPROVAL) or self._link_refusal(agent, row)
        if refused:
            raise RuleViolation([refused])
        recorded = self.signatories.get(row.organisation_id)
        assert recorded is not None  # _link_refusal refuses a case without one
        # The link goes to the address MIAP holds, never to one typed from the form.
        recipient = recorded.signatory.email
        now = self.clock()
        token = self.links.issue(row.id)
        digest = token_hash(token)
        moved = self._moved(
            self.store.move(
                row.id,
                [before],
                S.AWAITING_APPROVAL,
                now=now,
                token_hash=digest,
                link_sent_at=now,
                link_sent_to=recipient,
                link_sent_by=agent.username,
                link_expires_at=now + self.links.lifetime,
                link_used_at=None,
            ),
            row.id,
            S.AWAITING_APPROVAL,
        )
        try:
            self.mailer.send(recipient, *self._approval_email(moved, form, token))
        except Exception as error:
            # Put the case back as it was: the link nobody received must not work.
            self.store.move(
                row.id,
                [S.AWAITING_APPROVAL],
                before,
                extra_where={"token_hash": digest},
                token_hash=row.token_hash,
                link_sent_at=row.link_sent_at,
                link_sent_to=row.link_sent_to,
                link_sent_by=row.link_sent_by,
                link_expires_at=row.link_expires_at,
            )
            reason = f"the approval email to {recipient} could not be sent ({error})."
            raise MailFailed(
                f"The approval email to {recipient} could not be sent ({error}); "
                "the case is unchanged. Check the SMTP settings and try again.",
                reason,
            ) from error
        self._record(
            AuditKind.RECOVERY_LINK_SENT,
            agent.username,
            moved,
            details={
                "to": recipient,
                "expires_at": (now + self.links.lifetime).isoformat(),
                "from_state": before.value,
            },
        )
        return moved

    def approval_url(self, token: str) -> str:
        return f"{self.public_url}/recovery/approve/{token}"

    def _approval_email(
        self, row: RecoveryCaseRow, form: NewSuperUserForm, token: str
    ) -> tuple[str, str]:
        group = self.directory.find_organisation(form.organisation_id)
        org_name = group.organisation.name if group else form.organisation_id
        expires = row.link_expires_at.strftime("%d %B %Y %H:%M UTC") if row.link_expires_at else ""
        return email(
            "approval_link",
            form=form,
            org_name=org_name,
            url=self.approval_url(token),
            expires=expires,
        )

    def _by_token(self, token: str) -> RecoveryCaseRow:
        invalid = Violation("token", "link-invalid", "This approval link is not valid.", RULE)
        case_id = self.links.case_id(token)
        if case_id is None:
            raise LinkRefused(invalid)
        row = self.store.by_token_hash(token_hash(token))
        if row is None or row.id != case_id:
            raise LinkRefused(invalid)  # forged, or replaced by a newer link
        return row

    def _expire(self, row: RecoveryCaseRow) -> RecoveryCaseRow:
        moved = self.store.move(
            row.id,
            [S.AWAITING_APPROVAL],
            S.EXPIRED,
            now=self.clock(),
            extra_where={"token_hash": row.token_hash},
        )
        if moved is None:
            return self._row(row.id)
        self._record(
            AuditKind.RECOVERY_EXPIRED,
            SYSTEM,
            moved,
            details={
                "expired_at": row.link_expires_at.isoformat() if row.link_expires_at else None
            },
        )
        return moved

    def view_link(self, token: str) -> dict[str, Any]:
        """The request the link shows (no change, so a mail scanner's GET spends nothing)."""
        row = self._by_token(token)
        case = to_case(row)
        if is_link_expired(case, self.clock()):
            row = self._expire(row)
            case = to_case(row)
        refused = check_link_decision(case, self.clock())
        if refused:
            raise LinkRefused(refused)
        group = self.directory.find_organisation(row.organisation_id)
        return {
            **row.as_dict(),
            "organisation_name": group.organisation.name if group else row.organisation_id,
        }

    def decide_by_link(
        self, token: str, approve: bool, ip: str | None, *, reason: str | None = None
    ) -> dict[str, Any]:
        """The senior manager approves or rejects; once, before expiry, with time and IP. A
        rejection may give a reason (optional): it closes the case and is kept in the audit log."""
        why = None if approve else (reason or "").strip() or None
        row = self._by_token(token)
        now = self.clock()
        case = to_case(row)
        if is_link_expired(case, now):
            self._expire(row)
            raise LinkRefused(Violation("token", "link-expired", "This link has expired.", RULE))
        refused = check_link_decision(case, now)
        if refused:
            raise LinkRefused(refused)
        target = S.APPROVED if approve else S.REJECTED
        moved = self.store.move(
            row.id,
            [S.AWAITING_APPROVAL],
            target,
            now=now,
            extra_where={"token_hash": row.token_hash, "link_used_at": None},
            link_used_at=now,
            decision_method=APPROVAL_BY_LINK,
            decision_approved=approve,
            decided_by=row.link_sent_to,
            decided_at=now,
            decision_ip=ip,
            **(
                {}
                if approve
                else {"closed_at": now, "closed_by": row.link_sent_to, "close_reason": why}
            ),
        )
        if moved is None:  # the other click won
            raise LinkRefused(
                Violation("token", "link-used", "This approval link has already been used.", RULE)
            )
        self._record(
            AuditKind.RECOVERY_APPROVED if approve else AuditKind.RECOVERY_REJECTED,
            row.link_sent_to or "senior manager",
            moved,
            reason=why,
            details={
                "method": APPROVAL_BY_LINK,
                "ip": ip,
                "manager": require_form(case).manager_name,  # a link is only sent with a form
            },
        )
        return moved.as_dict()

    def record_paper_approval(
        self, agent: Actor, case_id: int, scan_reference: str, ip: str | None = None
    ) -> Outcome:
        """A second agent records the senior manager's signed approval received on paper."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        problems = check_paper_approval(to_case(row), agent.username, scan_reference)
        if problems:
            raise RuleViolation(problems)
        now = self.clock()
        moved = self._moved(
            self.store.move(
                case_id,
                [S.RECEIVED, S.AWAITING_APPROVAL, S.EXPIRED],
                S.APPROVED,
                now=now,
                decision_method=APPROVAL_ON_PAPER,
                decision_approved=True,
                decided_by=agent.username,
                decided_at=now,
                decision_ip=ip,
                decision_reference=scan_reference.strip(),
            ),
            case_id,
            S.APPROVED,
        )
        self._record(
            AuditKind.RECOVERY_APPROVED,
            agent.username,
            moved,
            details={"method": APPROVAL_ON_PAPER, "scan_reference": scan_reference.strip()},
        )
        return Outcome(moved.as_dict(), [])

    def expire_due(self) -> list[int]:
        """Move every case whose link ran out to ``expired`` (one event each)."""
        now = self.clock()
        expired = []
        for row in self.store.cases(state=S.AWAITING_APPROVAL.value):
            if is_link_expired(to_case(row), now) and self._expire(row).state == S.EXPIRED:
                expired.append(row.id)
        return expired
