"""Periodic access reviews (guide §8): "from time to time … take an audit of your user community
to check if the users are still using the system and if they have the right level of access."

A review is a snapshot of an organisation's members and their roles when it starts. For each
one a super user answers: still needs access with these roles (confirm), change the roles, or
remove the user. Reminders go before the deadline; at the deadline the unanswered are suspended
when the policy says so (realm-config/lifecycle.yaml `reviews:`). Pure: what is due and which
answers are allowed; the service acts and records.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.lifecycle import DAY_MS, ReviewPolicy

RULE_REVIEW = "guide §8: check from time to time that users still need access at the right level"

Decision = Literal["confirm", "change-roles", "remove"]
#: What a super user may answer for one user of a review.
DECISIONS: tuple[str, ...] = ("confirm", "change-roles", "remove")
#: What the deadline leaves on an item nobody answered: suspended by policy, or only reported
#: (the policy does not suspend, the rules refused, or the user had left the organisation).
OUTCOMES: tuple[str, ...] = (*DECISIONS, "suspended", "unanswered")


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` calendar months later, on the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def next_scheduled_ms(
    last_started_ms: int | None, since_ms: int, policy: ReviewPolicy
) -> int | None:
    """When the policy next starts a review of an organisation: ``every_months`` after the last
    one started, or, never reviewed, after ``since_ms``: when it was registered, or, registered
    before the audit log, when the lifecycle first saw it (so the organisations of an upgrade
    are not all reviewed on its first day). None: the policy schedules none."""
    if policy.every_months is None:
        return None
    anchor = last_started_ms if last_started_ms is not None else since_ms
    due = add_months(_day(anchor), policy.every_months)
    midnight = datetime(due.year, due.month, due.day, tzinfo=UTC)
    return int(midnight.timestamp() * 1000)


def deadline_ms(started_ms: int, policy: ReviewPolicy) -> int:
    return started_ms + policy.deadline_days * DAY_MS


def reminder_due(
    deadline: int, policy: ReviewPolicy, sent: Collection[int], now_ms: int
) -> int | None:
    """The reminder to send now (its days before the deadline), if any: one email, the latest
    point reached; earlier points missed (the run did not run) are then moot. None at or past
    the deadline: then the deadline acts."""
    if now_ms >= deadline:
        return None
    left_ms = deadline - now_ms
    reached = [d for d in policy.remind_days_before if d * DAY_MS >= left_ms]
    if not reached:
        return None
    point = min(reached)
    if point in sent or any(s <= point for s in sent):
        return None
    return point


def check_decision(
    decision: str,
    roles: Collection[str] | None,
    *,
    closed: bool,
    in_review: bool,
    answered: str | None,
) -> list[Violation]:
    """Why this answer cannot be recorded (empty: it can)."""
    problems: list[Violation] = []
    if closed:
        problems.append(
            Violation(
                "review", "review-closed", "The review is closed: its deadline passed.", RULE_REVIEW
            )
        )
    if not in_review:
        problems.append(
            Violation(
                "username",
                "not-in-review",
                "This user was not a member when the review started.",
                RULE_REVIEW,
            )
        )
    if answered is not None:
        problems.append(
            Violation(
                "username",
                "already-answered",
                f"This user was already answered ({answered}).",
                RULE_REVIEW,
            )
        )
    if decision not in DECISIONS:
        problems.append(
            Violation(
                "decision",
                "unknown-decision",
                f"The answer must be one of {', '.join(DECISIONS)}.",
                RULE_REVIEW,
            )
        )
    elif decision == "change-roles" and not roles:
        problems.append(
            Violation(
                "roles",
                "roles-required",
                "Changing the roles needs the new roles (at least one).",
                RULE_REVIEW,
            )
        )
    elif decision != "change-roles" and roles:
        problems.append(
            Violation(
                "roles",
                "roles-not-expected",
                "Roles are given only when changing them.",
                RULE_REVIEW,
            )
        )
    return problems


def check_removal_reason(reason: str | None) -> list[Violation]:
    """The super user's pages ask why a reviewed user is removed (kept in the review's answer
    and the removal's audit event); the API and CLI may leave it out (then "access review N")."""
    if (reason or "").strip():
        return []
    return [
        Violation(
            "reason",
            "reason-required",
            "Say why they no longer need access; the audit trail keeps it.",
            RULE_REVIEW,
        )
    ]


@dataclass(frozen=True)
class ReviewItem:
    """One member as the review found them, and the answer given (if any)."""

    user_id: str
    username: str
    roles: tuple[str, ...]
    outcome: str | None = None
    new_roles: tuple[str, ...] = ()
    decided_by: str | None = None
    decided_at_ms: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "roles": list(self.roles),
            "outcome": self.outcome,
            "new_roles": list(self.new_roles),
            "decided_by": self.decided_by,
            "decided_at": _iso(self.decided_at_ms),
            "note": self.note,
        }


@dataclass(frozen=True)
class Review:
    id: int
    organisation_id: str
    started_by: str
    started_at_ms: int
    deadline_ms: int
    scheduled: bool
    closed_at_ms: int | None = None
    items: tuple[ReviewItem, ...] = ()
    #: (users, unanswered) when the items were not read (a list of reviews).
    counts: tuple[int, int] | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at_ms is not None

    def unanswered(self) -> list[ReviewItem]:
        return [i for i in self.items if i.outcome is None]

    def as_dict(self, with_items: bool = True) -> dict[str, object]:
        answer: dict[str, object] = {
            "id": self.id,
            "organisation_id": self.organisation_id,
            "started_by": self.started_by,
            "started_at": _iso(self.started_at_ms),
            "deadline": _iso(self.deadline_ms),
            "scheduled": self.scheduled,
            "status": "closed" if self.closed else "open",
            "closed_at": _iso(self.closed_at_ms),
            "users": self.counts[0] if self.counts else len(self.items),
            "unanswered": self.counts[1] if self.counts else len(self.unanswered()),
        }
        if with_items:
            answer["items"] = [i.as_dict() for i in self.items]
        return answer


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()
