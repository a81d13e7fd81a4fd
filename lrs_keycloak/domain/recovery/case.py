"""A recovery case as the rules see it: its state, its form and the senior manager's answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lrs_keycloak.domain.recovery.form import NewSuperUserForm
from lrs_keycloak.domain.recovery.states import CaseState

APPROVAL_BY_LINK = "link"
APPROVAL_ON_PAPER = "paper"


@dataclass(frozen=True)
class Approval:
    """The senior manager's answer: by link (with IP) or on paper (recorded by an agent)."""

    method: str  # APPROVAL_BY_LINK or APPROVAL_ON_PAPER
    approved: bool
    by: str  # the manager's email (link) or the recording agent (paper)
    at: datetime
    ip: str | None = None
    reference: str | None = None  # the scan's reference for a paper approval


@dataclass(frozen=True)
class RecoveryCase:
    """One request for a new super user, as the rules see it."""

    id: int
    organisation_id: str
    state: CaseState
    #: None while the case awaits the form (opened by the enforcer, not from a form).
    form: NewSuperUserForm | None
    raised_by: str
    created_at: datetime
    approval: Approval | None = None
    #: The agent who entered the form (the one who raised the case, unless the enforcer did).
    form_recorded_by: str | None = None
    link_expires_at: datetime | None = None
    link_used: bool = False
    super_user: str | None = None
    completed_by: str | None = None
    #: Who holds the completion claim (``completing``), and when the case last changed.
    claimed_by: str | None = None
    updated_at: datetime | None = None


def entered_by(case: RecoveryCase) -> set[str]:
    """The agents who brought the request in: who raised the case and who entered its form."""
    agents = {case.raised_by.casefold()}
    if case.form_recorded_by:
        agents.add(case.form_recorded_by.casefold())
    return agents
