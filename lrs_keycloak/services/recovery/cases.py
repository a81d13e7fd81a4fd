"""Opening a case from the New Super User Form (or recording the form on a waiting case),
cancelling it, and reading cases."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.recovery import (
    CANCELLABLE,
    OPEN,
    RULE,
    CaseState,
    NewSuperUserForm,
    check_record_form,
    check_recovery_allowed,
    check_transition,
    completion_summary,
    is_link_expired,
    nominee_details,
    repeated_failures_warning,
    validate_form,
)
from lrs_keycloak.domain.users import validate_details
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.recovery.approval import ApprovalSteps
from lrs_keycloak.services.recovery.base import Outcome, _already_open, _refuse
from lrs_keycloak.services.recovery.constants import S
from lrs_keycloak.services.recovery.mail import MailFailed
from lrs_keycloak.store.recovery import (
    OpenCaseExists,
    RecoveryCaseRow,
    form_values,
    to_case,
)


class CaseSteps(ApprovalSteps):
    """A case's life before and after its approval."""

    # --- open --------------------------------------------------------------------------------

    def check_form(self, form: NewSuperUserForm) -> tuple[OrgGroup, list[Violation]]:
        errors, warnings = validate_form(form, self.clock().date())
        group = None
        if not errors:
            group = self._group(form.organisation_id.strip())
            name_errors, name_warnings = validate_details(
                nominee_details(form),
                policy=self.policy.generic_names,
                organisation_name=group.organisation.name,
                role_names=self.policy.roles.names,
            )
            errors += [
                Violation(f"nominee_{e.field}", e.code, e.message, e.rule) for e in name_errors
            ]
            warnings += name_warnings
        if errors or group is None:
            raise RuleViolation(errors)
        return group, warnings

    def failed_requests(self, org_id: str) -> int:
        """How many of the organisation's requests were rejected or expired unanswered."""
        return self.audit.count(org_id, (AuditKind.RECOVERY_REJECTED, AuditKind.RECOVERY_EXPIRED))

    def _history_warnings(self, org_id: str, failed: int | None = None) -> list[Violation]:
        count = self.failed_requests(org_id) if failed is None else failed
        flagged = repeated_failures_warning(count)
        return [flagged] if flagged else []

    def _require_no_super_user(self, group: OrgGroup) -> None:
        refused = check_recovery_allowed(self._member_view(group, self._members(group)))
        if refused:
            raise RuleViolation([refused])

    @staticmethod
    def _form_details(form: NewSuperUserForm) -> dict[str, Any]:
        return {
            "nominee": f"{form.nominee_given_name} {form.nominee_family_name}",
            "nominee_email": form.nominee_email,
            "manager": form.manager_name,
            "manager_email": form.manager_email,
            "manager_signed_agreement": form.manager_signed_agreement,
        }

    def open(self, agent: Actor, form: NewSuperUserForm, send_link: bool = True) -> Outcome:
        """Open a case from the form; by default email the senior manager the approval link.

        When the organisation's open case awaits its form (the enforcer opened it), the form is
        recorded on that case instead: the outcome's first warning says so and names the case,
        and ``new_case`` is False.
        """
        self._require_helpdesk(agent)
        group, warnings = self.check_form(form)
        self._require_no_super_user(group)
        warnings += self._history_warnings(group.organisation.id)
        pending = self.store.cases(organisation_id=form.organisation_id, states=OPEN)
        if pending and pending[0].state == S.AWAITING_FORM:
            waiting = pending[0]
            outcome = self._record_form(agent, waiting, form, warnings, send_link)
            outcome.warnings.insert(
                0,
                Violation(
                    "organisation_id",
                    "recorded-on-waiting-case",
                    f"Case {waiting.id} was already waiting for this organisation's New Super "
                    f"User Form (opened by {waiting.raised_by} on "
                    f"{waiting.created_at:%d %B %Y %H:%M UTC}, when its last active super user "
                    "was lost): the form is recorded on that case; no new case was opened.",
                    RULE,
                ),
            )
            return outcome
        if pending:
            raise _already_open(pending[0].id)
        try:
            row = self.store.create(form, agent.username, now=self.clock())
        except OpenCaseExists as raced:  # opened by another process since the look above
            raise _already_open(raced.case.id, raced=True) from None
        self._record(
            AuditKind.RECOVERY_OPENED, agent.username, row, details=self._form_details(form)
        )
        if send_link:
            row = self._send_link_or_warn(agent, row, warnings)
        return Outcome(row.as_dict(), warnings, new_case=True)

    def record_form(
        self, agent: Actor, case_id: int, form: NewSuperUserForm, send_link: bool = True
    ) -> Outcome:
        """Record the New Super User Form on a case awaiting it (``awaiting_form ─► received``),
        checked as ``open`` checks it; by default email the senior manager the approval link."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        problems = check_record_form(to_case(row), form)
        if problems:
            raise RuleViolation(problems)
        group, warnings = self.check_form(form)
        self._require_no_super_user(group)
        warnings += self._history_warnings(group.organisation.id)
        return self._record_form(agent, row, form, warnings, send_link)

    def _record_form(
        self,
        agent: Actor,
        row: RecoveryCaseRow,
        form: NewSuperUserForm,
        warnings: list[Violation],
        send_link: bool,
    ) -> Outcome:
        now = self.clock()
        moved = self.store.move(
            row.id, [S.AWAITING_FORM], S.RECEIVED, now=now, **form_values(form, agent.username, now)
        )
        if moved is None:  # another agent recorded a form, or the case was cancelled, meanwhile
            raise RuleViolation(
                check_record_form(to_case(self._row(row.id)), form)
                or [Violation("state", "changed", "The case changed meanwhile; reload.", RULE)]
            )
        self._record(
            AuditKind.RECOVERY_FORM_RECORDED,
            agent.username,
            moved,
            details={
                **self._form_details(form),
                "opened_by": row.raised_by,
                "waiting_since": row.created_at.isoformat(),
            },
        )
        if send_link:
            moved = self._send_link_or_warn(agent, moved, warnings)
        return Outcome(moved.as_dict(), warnings)

    def _send_link_or_warn(
        self, agent: Actor, row: RecoveryCaseRow, warnings: list[Violation]
    ) -> RecoveryCaseRow:
        """Send the approval link for a case just opened or given its form. The case stands
        when the email fails: the agent is told so, with the case's number, to resend it once
        the mail works, rather than refused as though nothing had been kept. When the link may
        not be sent at all (the form's manager is not the signatory MIAP holds), the case waits
        for a paper approval and the warning says why."""
        refused = self._link_refusal(agent, row)
        if refused:
            warnings.append(refused)
            return row
        try:
            return self._send_link(agent, row)
        except MailFailed as failed:
            warnings.append(
                Violation(
                    "send_link",
                    "email-failed",
                    f"Case {row.id} is kept ({row.state}, with the form), but {failed.reason} "
                    f"Resend the link once the mail works: lrs-keycloak recovery send-link "
                    f"{row.id}, or POST /api/v1/recovery-cases/{row.id}/approval-link.",
                    RULE,
                )
            )
            return self._row(row.id)

    def cancel(self, agent: Actor, case_id: int, reason: str) -> Outcome:
        self._require_helpdesk(agent)
        if not (reason or "").strip():
            raise _refuse(
                "reason-required",
                "Give the reason for cancelling; it is kept in the audit log.",
                "reason",
            )
        row = self._row(case_id)
        refused = check_transition(CaseState(row.state), S.CANCELLED)
        if refused:
            raise RuleViolation([refused])
        now = self.clock()
        moved = self._moved(
            self.store.move(
                case_id,
                CANCELLABLE,
                S.CANCELLED,
                now=now,
                closed_at=now,
                closed_by=agent.username,
                close_reason=reason.strip(),
            ),
            case_id,
            S.CANCELLED,
        )
        self._record(
            AuditKind.RECOVERY_CANCELLED,
            agent.username,
            moved,
            reason=reason.strip(),
            details={"from_state": row.state},
        )
        return Outcome(moved.as_dict(), [])

    # --- read --------------------------------------------------------------------------------

    def list_cases(
        self, agent: Actor, state: str | None = None, organisation_id: str | None = None
    ) -> list[dict[str, Any]]:
        self._require_helpdesk(agent)
        if state is not None and state not in {s.value for s in CaseState}:
            raise _refuse(
                "unknown-state",
                f"{state!r} is not a case state: one of {', '.join(s.value for s in CaseState)}.",
                "state",
            )
        self.expire_due()
        return [r.as_dict() for r in self.store.cases(state=state, organisation_id=organisation_id)]

    def show(self, agent: Actor, case_id: int) -> dict[str, Any]:
        self._require_helpdesk(agent)
        row = self._row(case_id)
        if is_link_expired(to_case(row), self.clock()):
            row = self._expire(row)
        out = row.as_dict()
        out["relied_on"] = completion_summary(to_case(row))
        signatory = self.signatories.get(row.organisation_id)
        out["signatory"] = signatory.as_dict() if signatory else None
        out["audit"] = [
            e.as_dict()
            for e in self.audit.events(row.organisation_id, limit=500)
            if e.details.get("case_id") == case_id
        ][::-1]
        return out
