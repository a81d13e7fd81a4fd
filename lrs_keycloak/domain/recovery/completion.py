"""Completing a case: a second agent, an approved form and still no active super user; the
claim that makes two agents create one user, and taking over a claim that died."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import Member
from lrs_keycloak.domain.recovery.case import RecoveryCase, entered_by
from lrs_keycloak.domain.recovery.case_form import check_form_present
from lrs_keycloak.domain.recovery.eligibility import check_recovery_allowed
from lrs_keycloak.domain.recovery.form import NewSuperUserForm, nominee_details
from lrs_keycloak.domain.recovery.rule import RULE
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.recovery.states import STALE_CLAIM_AFTER, S, check_transition


def check_four_eyes(case: RecoveryCase, agent: str) -> Violation | None:
    """Completion is a second agent's decision, whatever the approval route: the agent who
    raised the case or entered its form could otherwise create a super user alone."""
    if agent.casefold() not in entered_by(case):
        return None
    return _v(
        "agent",
        "own-case",
        "You raised this case or recorded its form, so you cannot complete it: a second help "
        "desk agent checks the nominee, the senior manager and the approval, and completes it.",
        f"{RULE} (four eyes: the request and the new super user are separate decisions)",
    )


def check_completion(
    case: RecoveryCase, members: Iterable[Member], agent: str | None = None
) -> list[Violation]:
    """Completion needs the form, an approved case, a second agent and still no active
    super user."""
    problems: list[Violation] = []
    refused = check_form_present(case) or check_transition(case.state, S.COMPLETING)
    if refused:
        problems.append(refused)
        return problems
    if agent is not None:
        own = check_four_eyes(case, agent)
        if own:
            problems.append(own)
            return problems
    again = check_recovery_allowed(members)
    if again:
        problems.append(
            _v(
                "organisation_id",
                "super-user-active-again",
                again.message.replace(
                    "The organisation has", "Since the case was opened the organisation has"
                ),
                again.rule,
            )
        )
    return problems


def completion_summary(case: RecoveryCase) -> dict[str, object]:
    """What the completing agent relies on, shown before they create the super user: who is
    nominated, which senior manager approved, and how (link with its IP, or paper scan)."""
    form = case.form
    approval = case.approval
    return {
        "nominee": None
        if form is None
        else {
            "name": f"{form.nominee_title} {form.nominee_given_name} {form.nominee_family_name}",
            "email": form.nominee_email,
            "telephone": form.nominee_telephone,
        },
        "manager": None
        if form is None
        else {
            "name": form.manager_name,
            "job_title": form.manager_job_title,
            "email": form.manager_email,
            "signed_agreement": form.manager_signed_agreement,
        },
        "approval": None
        if approval is None
        else {
            "method": approval.method,
            "approved": approval.approved,
            "by": approval.by,
            "at": approval.at.isoformat(),
            "ip": approval.ip,
            "reference": approval.reference,
        },
        "request_entered_by": sorted({case.raised_by, case.form_recorded_by or case.raised_by}),
    }


def is_claim_stale(case: RecoveryCase, now: datetime) -> bool:
    """A ``completing`` case whose claimant has not finished in ``STALE_CLAIM_AFTER``."""
    return (
        case.state == S.COMPLETING
        and case.updated_at is not None
        and now - case.updated_at >= STALE_CLAIM_AFTER
    )


def made_for_case(form: NewSuperUserForm, email: str | None, verification: str | None) -> bool:
    """Is this account the one an interrupted completion of the form's case already created?
    Its email is the nominee's and its recorded verification names the form (``nominee_details``),
    so taking over adopts it instead of creating a second super user."""
    expected = nominee_details(form)
    return (email or "").strip().casefold() == (expected.email or "").casefold() and (
        verification or ""
    ) == expected.verification_provided
