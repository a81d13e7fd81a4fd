"""A recovery case's states and the moves between them::

    awaiting_form ─► received ─► awaiting_approval ─► approved ─► completed
          │             │              │   │  └──► rejected
          │             │              │   └─────► expired ─► awaiting_approval (a new link)
          └─────────────┴──────────────┴──────────► cancelled (also from approved and expired)

``awaiting_form`` is a case the enforcer opened when the organisation lost its last active super
user (issue 5): the help desk knows before any form arrives, and the case waits for the senior
manager's New Super User Form. An agent records the form (``awaiting_form ─► received``) and the
case goes on as if it had been opened from the form. A case without a form is never approved
nor completed.

``received ─► approved`` and ``expired ─► approved`` are an approval received on paper (before
any link was sent, or after the link ran out).
``completing`` is a short claim between approved and completed: whoever moves the case there
creates the user, so two agents clicking at once create one user.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.recovery.rule import violation as _v


class CaseState(StrEnum):
    AWAITING_FORM = "awaiting_form"
    RECEIVED = "received"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    COMPLETING = "completing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = CaseState

#: Every legal move; anything else is refused.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.AWAITING_FORM: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset(
        {S.AWAITING_APPROVAL, S.APPROVED, S.REJECTED, S.EXPIRED, S.CANCELLED}
    ),
    S.APPROVED: frozenset({S.COMPLETING, S.CANCELLED}),
    S.COMPLETING: frozenset({S.COMPLETED, S.APPROVED}),
    S.EXPIRED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.CANCELLED}),
    S.REJECTED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: States a case never leaves.
FINAL: frozenset[CaseState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: States in which the organisation still waits for an answer (one open case at a time).
OPEN: frozenset[CaseState] = frozenset(
    {S.AWAITING_FORM, S.RECEIVED, S.AWAITING_APPROVAL, S.APPROVED, S.COMPLETING, S.EXPIRED}
)
#: States a case may be cancelled from.
CANCELLABLE: frozenset[CaseState] = frozenset(
    s for s, nxt in TRANSITIONS.items() if S.CANCELLED in nxt
)

#: A completion claim unchanged this long died with its process (a crash or a kill mid-way):
#: another agent may take it over. Creating the account takes seconds, not minutes.
STALE_CLAIM_AFTER = timedelta(minutes=15)


def check_transition(current: CaseState, target: CaseState) -> Violation | None:
    """A move the state machine allows, or the reason it does not."""
    if target in TRANSITIONS[current]:
        return None
    if current == S.COMPLETED and target in (S.COMPLETING, S.COMPLETED):
        return _v(
            "state",
            "already-completed",
            "This case is already completed: its super user exists. A case is completed once.",
        )
    if current == S.COMPLETING:
        minutes = int(STALE_CLAIM_AFTER.total_seconds() // 60)
        return _v(
            "state",
            "completion-in-progress",
            "Another agent is completing this case right now; reload it in a moment. If it is "
            f"still completing {minutes} minutes after it started, complete it again: you take "
            "over, and no second super user is created.",
        )
    nice = {s: s.value.replace("_", " ") for s in CaseState}
    return _v(
        "state",
        "illegal-transition",
        f"A case that is {nice[current]} cannot become {nice[target]}.",
    )


def require_transition(current: CaseState, target: CaseState) -> None:
    refused = check_transition(current, target)
    if refused:
        raise RuleViolation([refused])
