"""Whether the help desk should act for an organisation at all: only when no active super user
can (guide §3), with a warning when its requests keep failing."""

from __future__ import annotations

from collections.abc import Iterable

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import Member, recovery_allowed
from lrs_keycloak.domain.recovery.case import RecoveryCase
from lrs_keycloak.domain.recovery.rule import RULE
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.recovery.states import S


def check_recovery_allowed(members: Iterable[Member]) -> Violation | None:
    """Only when no active super user can act; otherwise name the ones to contact (guide §3)."""
    allowed, contacts = recovery_allowed(members)
    if allowed:
        return None
    return _v(
        "organisation_id",
        "super-user-can-act",
        f"The organisation has an active super user ({', '.join(contacts)}): they are the first "
        "point of call and can create another super user themselves. The help desk creates one "
        "only when no super user can act.",
        "guide §3, §10.2: super users first; MIAP only when none is available",
    )


#: From this many rejected or expired requests, an organisation's next one is flagged.
FAILED_REQUESTS_FLAG_FROM = 3


def repeated_failures_warning(failed: int) -> Violation | None:
    """An organisation whose requests keep being rejected or left to expire may be the target
    of someone trying their luck: the help desk is told before it acts on another."""
    if failed < FAILED_REQUESTS_FLAG_FROM:
        return None
    return _v(
        "organisation_id",
        "repeated-failed-requests",
        f"{failed} earlier requests for a new super user for this organisation were rejected or "
        "expired unanswered. Check this request with the organisation by a known telephone "
        "number before going on (see the organisation's case history).",
        f"{RULE} (repeated requests)",
    )


def cases_to_withdraw(cases: Iterable[RecoveryCase], opened_by: str) -> list[RecoveryCase]:
    """When an active super user is back, the cases ``opened_by`` (the enforcer) opened that
    still wait for a form: nobody asked for them. A case holding a form is the organisation's
    own request; the help desk decides on it (completion is refused while a super user acts)."""
    return [c for c in cases if c.state == S.AWAITING_FORM and c.raised_by == opened_by]
