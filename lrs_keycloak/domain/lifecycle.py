"""What keeping the user community current asks of one account today (guide §2.1, §7, §8).

"It is important that you do not leave redundant user accounts with access to LRS … Remove
redundant user accounts as soon as possible." Two things make an account redundant without
anybody saying so: its owner stopped using it (inactivity), or the contract it was made for
ended (an end date, §4.1 temporary staff). Pure: the facts come in, the one step to take goes
out; the service takes it, records it and tells whom it must.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

DAY_MS = 24 * 60 * 60 * 1000
RULE_INACTIVE = "guide §2.1, §8: redundant accounts are removed as soon as possible"
RULE_END_DATE = "guide §4.1, §7: an account ends with the contract it was made for"

Step = Literal["suspend-end-date", "suspend-inactive", "warn-inactive"]
#: What may be done to a leaver's account (guide §7: "remove redundant user accounts as soon as
#: possible"; suspending keeps it for an organisation that reviews first).
LEAVER_ACTIONS: tuple[str, ...] = ("remove", "suspend")


@dataclass(frozen=True)
class ReviewPolicy:
    """Periodic access reviews (guide §8, realm-config/lifecycle.yaml `reviews:`): the rules of
    a review are in `domain.reviews`. The defaults: none scheduled, a month to answer."""

    #: Months between one review of an organisation and the next; None: only by hand.
    every_months: int | None = None
    #: Days the super users have to answer, from the start.
    deadline_days: int = 30
    #: Days before the deadline at which the super users are reminded, each once.
    remind_days_before: tuple[int, ...] = ()
    #: Suspend the users still unanswered at the deadline (else they are only reported).
    suspend_unanswered: bool = False


@dataclass(frozen=True)
class LifecyclePolicy:
    """What `lifecycle run` does on its own (realm-config/lifecycle.yaml; guide §2.1, §7, §8).
    The defaults, when the file is absent: nothing."""

    #: Days without a logon at which the user is warned, in order.
    warn_after_days: tuple[int, ...] = ()
    #: Days without a logon after which the account is suspended; None: never for inactivity.
    suspend_after_days: int | None = None
    grace_after_reinstatement_days: int = 14
    suspend_at_end_date: bool = True
    #: What `users leavers` does to a leaver's account: "remove" (guide §7) or "suspend".
    leavers: str = "remove"
    reviews: ReviewPolicy = field(default_factory=ReviewPolicy)
    #: Days a recovery case may wait for the organisation's New Super User Form (guide §10.2)
    #: before the help desk is reminded of it (once per case); None: never.
    recovery_form_overdue_days: int | None = None


def form_overdue(created_at: datetime, now: datetime, days: int | None) -> bool:
    """A recovery case opened at ``created_at`` has waited too long for its form by ``now``."""
    return days is not None and now - created_at >= timedelta(days=days)


@dataclass(frozen=True)
class AccountFacts:
    """What the lifecycle knows of one account (times in epoch ms)."""

    username: str
    enabled: bool
    created_ms: int | None
    last_logon_ms: int | None
    #: When a super user last reinstated it (from the audit log), if ever.
    reinstated_ms: int | None = None
    end_date: date | None = None
    #: The warnings already sent for the current idle period (their day counts).
    warned: frozenset[int] = frozenset()

    def idle_since_ms(self) -> int | None:
        """Counted from the last logon, or from creation if the account was never used."""
        return self.last_logon_ms if self.last_logon_ms is not None else self.created_ms


@dataclass(frozen=True)
class Decision:
    step: Step
    username: str
    #: Whole days without a logon (for the inactivity steps), else 0.
    idle_days: int
    #: For a warning: the policy point it is (days); for a suspension: the rule's threshold.
    at_days: int
    reason: str
    rule: str


def decide(
    facts: AccountFacts, policy: LifecyclePolicy, now_ms: int, today: date
) -> Decision | None:
    """The one step this account needs now, if any. A suspended account needs none: its
    reinstatement is a super user's decision (§7)."""
    if not facts.enabled:
        return None
    if policy.suspend_at_end_date and facts.end_date is not None and facts.end_date <= today:
        reason = f"End date {facts.end_date.isoformat()} reached (contract or temporary staff)."
        return Decision("suspend-end-date", facts.username, 0, 0, reason, RULE_END_DATE)
    since = facts.idle_since_ms()
    if since is None:
        return None
    idle_days = max(0, (now_ms - since) // DAY_MS)
    suspend_at = policy.suspend_after_days
    in_grace = (
        facts.reinstated_ms is not None
        and now_ms - facts.reinstated_ms < policy.grace_after_reinstatement_days * DAY_MS
    )
    if suspend_at is not None and idle_days >= suspend_at and not in_grace:
        reason = f"Not used for {idle_days} days (the policy suspends after {suspend_at})."
        return Decision(
            "suspend-inactive", facts.username, idle_days, suspend_at, reason, RULE_INACTIVE
        )
    sent = max(facts.warned, default=0)
    due = [d for d in policy.warn_after_days if sent < d <= idle_days]
    if due and not in_grace:
        point = max(due)  # one email, the latest point reached; earlier ones are then moot
        left = f" It will be suspended after {suspend_at} days." if suspend_at is not None else ""
        reason = f"Not used for {idle_days} days.{left}"
        return Decision("warn-inactive", facts.username, idle_days, point, reason, RULE_INACTIVE)
    return None


@dataclass(frozen=True)
class Leaver:
    """One row of the HR feed of leavers (guide §2.1): the staff ID, and why if given."""

    row: int
    staff_id: str
    reason: str | None


LEAVERS_COLUMNS: tuple[str, ...] = ("staff_id", "reason")
RULE_LEAVERS = "guide §2.1, §7: leavers' accounts are removed as soon as possible"


def read_leavers(text: str) -> tuple[list[Leaver], list[tuple[int, str]]]:
    """The leavers of a CSV file with a ``staff_id`` column (and optionally ``reason``), and
    the problems of its shape as (row, message); the header is row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    if "staff_id" not in header:
        return [], [
            (1, f"the file needs a staff_id column (columns: {', '.join(LEAVERS_COLUMNS)})")
        ]
    unknown = [h for h in header if h not in LEAVERS_COLUMNS]
    if unknown:
        return [], [
            (1, f"unknown columns {', '.join(unknown)}; columns: {', '.join(LEAVERS_COLUMNS)}")
        ]
    leavers: list[Leaver] = []
    problems: list[tuple[int, str]] = []
    for index, raw in enumerate(reader):
        staff_id = (raw.get("staff_id") or "").strip()
        reason = (raw.get("reason") or "").strip() or None
        if not staff_id:
            if reason:
                problems.append((index + 2, "no staff_id"))
            continue
        leavers.append(Leaver(index + 2, staff_id, reason))
    return leavers, problems
