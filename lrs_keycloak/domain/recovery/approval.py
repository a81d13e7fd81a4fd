"""The senior manager's approval: by the single-use link, or on paper through a second agent."""

from __future__ import annotations

from datetime import datetime

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.recovery.case import RecoveryCase, entered_by
from lrs_keycloak.domain.recovery.case_form import check_form_present
from lrs_keycloak.domain.recovery.rule import RULE
from lrs_keycloak.domain.recovery.rule import is_blank as _blank
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.recovery.states import S, check_transition


def check_paper_approval(case: RecoveryCase, agent: str, scan_reference: str) -> list[Violation]:
    """A paper approval is recorded by a second agent: never the one who raised the case nor
    the one who entered its form (each could otherwise both request and approve)."""
    problems: list[Violation] = []
    if agent.casefold() in entered_by(case):
        problems.append(
            _v(
                "agent",
                "own-case",
                "You raised this case or recorded its form, so you cannot record its approval: "
                "a second help desk agent must record the senior manager's paper approval.",
                f"{RULE} (approval is separate from the request)",
            )
        )
    if _blank(scan_reference):
        problems.append(
            _v(
                "scan_reference",
                "scan-reference-required",
                "Give the reference of the scanned, signed approval.",
            )
        )
    refused = check_form_present(case) or check_transition(case.state, S.APPROVED)
    if refused:
        problems.append(refused)
    return problems


def check_link_decision(case: RecoveryCase, now: datetime) -> Violation | None:
    """The senior manager's link works once, before it expires, while the case waits for it."""
    if case.link_used or case.state in (S.APPROVED, S.REJECTED, S.COMPLETING, S.COMPLETED):
        return _v("token", "link-used", "This approval link has already been used.")
    if case.state == S.EXPIRED or (
        case.link_expires_at is not None and now >= case.link_expires_at
    ):
        return _v("token", "link-expired", "This approval link has expired.")
    if case.state != S.AWAITING_APPROVAL:
        return _v("token", "link-invalid", "This request no longer waits for an approval.")
    return None


def is_link_expired(case: RecoveryCase, now: datetime) -> bool:
    return (
        case.state == S.AWAITING_APPROVAL
        and case.link_expires_at is not None
        and now >= case.link_expires_at
    )
