"""Completing an approved case: a second agent creates the new super user, exactly once,
taking over a completion whose process died."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import SUPER_USER, Actor
from lrs_keycloak.domain.recovery import (
    CaseState,
    NewSuperUserForm,
    check_completion,
    check_four_eyes,
    check_transition,
    completion_summary,
    is_claim_stale,
    made_for_case,
    nominee_details,
    require_form,
)
from lrs_keycloak.domain.users import MAX_REFERENCE_LENGTH
from lrs_keycloak.services.recovery.base import HelpDeskCaller, Outcome
from lrs_keycloak.services.recovery.cases import CaseSteps
from lrs_keycloak.services.recovery.constants import S
from lrs_keycloak.services.user_admin import Result
from lrs_keycloak.store.recovery import (
    RecoveryCaseRow,
    to_case,
)


class CompletionSteps(CaseSteps):
    """The last step: the new super user."""

    # --- complete, cancel, expire ------------------------------------------------------------

    def _completable(self, agent: Actor, row: RecoveryCaseRow) -> NewSuperUserForm:
        """The case's form, or why this agent may not complete the case now."""
        # A case without its form says so (clearer than "awaiting form cannot become completing");
        # a recorded form never changes, so the one read here is the one the claim holds.
        form = require_form(to_case(row))
        refused = check_transition(CaseState(row.state), S.COMPLETING) or check_four_eyes(
            to_case(row), agent.username
        )
        if refused:
            raise RuleViolation([refused])
        return form

    def prepare_completion(self, agent: Actor, case_id: int) -> dict[str, Any]:
        """The case as ``show`` gives it, once it is known that this agent may complete it: what
        they rely on is shown to them before they confirm (nothing changes)."""
        self._require_helpdesk(agent)
        self._completable(agent, self._row(case_id))
        return self.show(agent, case_id)

    def complete(self, agent: Actor, case_id: int) -> Outcome:
        """Create the new super user for an approved case; exactly once. A completion whose
        process died mid-way (a stale ``completing`` claim) is taken over: the account it may
        already have created is adopted, never made twice."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        if is_claim_stale(to_case(row), self.clock()):
            return self._take_over(agent, row)
        form = self._completable(agent, row)
        claimed = self._moved(
            self.store.move(
                case_id, [S.APPROVED], S.COMPLETING, now=self.clock(), claimed_by=agent.username
            ),
            case_id,
            S.COMPLETING,
        )
        return self._finish(agent, claimed, form, resumed=False)

    def _take_over(self, agent: Actor, row: RecoveryCaseRow) -> Outcome:
        case = to_case(row)
        form = require_form(case)
        own = check_four_eyes(case, agent.username)
        if own:
            raise RuleViolation([own])
        # Only one agent takes over: the claim must still be the stale one it read.
        claimed = self._moved(
            self.store.move(
                row.id,
                [S.COMPLETING],
                S.COMPLETING,
                now=self.clock(),
                extra_where={"claimed_by": row.claimed_by},
                claimed_by=agent.username,
            ),
            row.id,
            S.COMPLETING,
        )
        self._record(
            AuditKind.RECOVERY_COMPLETION_TAKEN_OVER,
            agent.username,
            claimed,
            details={
                "previous_claimant": row.claimed_by,
                "claimed_since": row.updated_at.isoformat(),
            },
        )
        return self._finish(agent, claimed, form, resumed=True)

    def _finish(
        self, agent: Actor, claimed: RecoveryCaseRow, form: NewSuperUserForm, resumed: bool
    ) -> Outcome:
        """As the claimant: create the super user (or, taking over, adopt the one the
        interrupted completion made), then close the case."""
        case = to_case(claimed)
        case_id = claimed.id
        try:
            group = self._group(case.organisation_id)
            users = self._members(group)
            adopted = next(
                (
                    u
                    for u in users
                    if resumed
                    and made_for_case(form, u.email, u.attributes.get("verificationProvided"))
                ),
                None,
            )
            if adopted is not None:
                # The interrupted completion may have stopped before the role, the enabling or
                # the set-password email: finish those, on the same account.
                if SUPER_USER not in adopted.roles:
                    self.directory.add_roles(adopted.id, [SUPER_USER])
                if not adopted.enabled:
                    self.directory.set_enabled(adopted.id, True)
                self.directory.send_set_password_email(adopted.id)
                adopted = replace(
                    adopted, roles=frozenset({*adopted.roles, SUPER_USER}), enabled=True
                )
                created = Result(user=adopted.as_dict())
            else:
                # An account a completion cut short by Keycloak's stop left unrecorded (maybe
                # enabled, when the answer to enabling it was lost) is not a super user who can
                # act: the creation below completes it (docs/adr/0023), one account, one record.
                unfinished = {
                    u.id
                    for u in users
                    if made_for_case(form, u.email, u.attributes.get("verificationProvided"))
                    and not self.admin.audit.events(
                        organisation_id=case.organisation_id, target=u.username, limit=1
                    )
                }
                members = self._member_view(group, [u for u in users if u.id not in unfinished])
                problems = check_completion(
                    replace(case, state=S.APPROVED), members, agent.username
                )
                if problems:
                    raise RuleViolation(problems)
                created = self.admin.create_user(
                    HelpDeskCaller(agent.username),
                    case.organisation_id,
                    nominee_details(form),
                    [SUPER_USER],
                    # Within the audit log's reference (a form reference may be 255 long).
                    reference=f"recovery case {case_id} (form {form.form_reference})"[
                        :MAX_REFERENCE_LENGTH
                    ],
                )
        except BaseException:
            self.store.move(case_id, [S.COMPLETING], S.APPROVED, claimed_by=None)
            raise
        assert created.user is not None
        username = str(created.user["username"])
        now = self.clock()
        done = self.store.move(
            case_id,
            [S.COMPLETING],
            S.COMPLETED,
            now=now,
            completed_at=now,
            completed_by=agent.username,
            super_user_username=username,
            closed_at=now,
            closed_by=agent.username,
        )
        assert done is not None  # only the claimant moves a completing case
        self._record(
            AuditKind.RECOVERY_COMPLETED,
            agent.username,
            done,
            target=username,
            details={"adopted_existing_account": adopted is not None},
        )
        warnings = list(created.warnings)
        if form.make_primary_contact:
            try:
                previous = self.contacts.set_primary_contact(group.group_id, username)
            except Exception as error:
                warnings.append(
                    Violation(
                        "make_primary_contact",
                        "primary-contact-not-updated",
                        f"{username} was created, but the primary contact could not be updated "
                        f"({error}); set it again from the organisation view.",
                        "guide §9: keeping in touch",
                    )
                )
            else:
                self.store.set_values(case_id, primary_contact_updated=True)
                self.admin.primary_contact_replaced(group.organisation.id)
                self._record(
                    AuditKind.PRIMARY_CONTACT_CHANGED,
                    agent.username,
                    done,
                    target=username,
                    details={"previous": previous, "new": username},
                )
                done = self._row(case_id)
        return Outcome(
            done.as_dict(), warnings, user=created.user, relied_on=completion_summary(case)
        )
