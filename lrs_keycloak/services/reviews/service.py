"""Periodic access reviews (guide §8): started by a super user or by the policy, answered user by
user, reminded and closed by the lifecycle's runs.

Every change an answer makes goes through ``UserAdmin`` (``change_roles`` with its reference
rule, ``remove``), so a review is never a way around the guide's rules; the answer itself is
kept with who gave it and when, with an audit event naming the review. The periodic part
(``due``) is called by ``Lifecycle.run`` for each organisation with the members it has read,
so cron and the worker run it, and it is idempotent: a review is started once (one open review
per organisation), each reminder is claimed before it is sent, and an item answered at the
deadline is not answered again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from lrs_keycloak.domain.api_clients import ApiClient
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.lifecycle import DAY_MS, ReviewPolicy
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.reviews import (
    RULE_REVIEW,
    Review,
    ReviewItem,
    check_decision,
    deadline_ms,
    next_scheduled_ms,
    reminder_due,
)
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.ports import Mailer, ReviewNotices
from lrs_keycloak.services.user_admin import Caller, NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.services.wording import render_email
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.reviews import ReviewStore

log = logging.getLogger(__name__)
_TEMPLATES = "lrs_keycloak.services.reviews"
#: The policy action each answer needs (confirming is a statement about the roles).
_ACTION = {"confirm": "change_roles", "change-roles": "change_roles", "remove": "remove"}


@dataclass(frozen=True)
class ReviewStep:
    """One step of the periodic part, as `lifecycle run` reports it (``username`` empty for a
    step about the whole review)."""

    organisation_id: str
    username: str
    step: str
    reason: str
    done: bool
    note: str = ""


def _now(now_ms: int | None) -> int:
    return time.time_ns() // 1_000_000 if now_ms is None else now_ms


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


class Reviews:
    def __init__(
        self,
        admin: UserAdmin,
        store: ReviewStore,
        mailer: Mailer,
        notices: ReviewNotices | None = None,
    ) -> None:
        self.admin = admin
        self.store = store
        self.mailer = mailer
        #: Tells the super users a review started; None: nobody is told (the first reminder is).
        self.notices = notices

    @property
    def policy(self) -> ReviewPolicy:
        return self.admin.policy.lifecycle.reviews

    # --- by hand -----------------------------------------------------------------------------

    def start(self, caller: Caller, org_id: str, now_ms: int | None = None) -> Review:
        """Start a review of the organisation: its members and their roles as they are now.
        Refused while one is open."""
        group = self.admin.access.organisation(caller, org_id, "view")
        if isinstance(caller, ApiClient):  # reads only (ADR 13): a review is started by a person
            raise NotPermitted(
                f"An integrating system may only read {org_id}'s reviews; one of its super "
                f"users starts a review ({RULE_REVIEW})."
            )
        started = self._start(group, caller, _now(now_ms), scheduled=False)
        if started is None:
            raise RuleViolation([self._open_already(org_id)])
        return started

    def reviews(self, caller: Caller, org_id: str) -> list[Review]:
        """The organisation's reviews, newest first (without their users)."""
        self.admin.access.organisation(caller, org_id, "view")
        return self.store.reviews(org_id)

    def show(self, caller: Caller, org_id: str, review_id: int) -> Review:
        """A review with each user: the roles at the start, the answer, who gave it and when."""
        self.admin.access.organisation(caller, org_id, "view")
        return self._review(org_id, review_id)

    def decide(
        self,
        caller: Caller,
        org_id: str,
        review_id: int,
        username: str,
        decision: str,
        roles: Collection[str] | None = None,
        reference: str | None = None,
        reason: str | None = None,
        now_ms: int | None = None,
    ) -> ReviewItem:
        """Answer for one user: ``confirm`` (still needs access with these roles),
        ``change-roles`` (to ``roles``, through the role-change rules, so more access needs
        ``reference``) or ``remove`` (through the removal rules)."""
        self.admin.access.organisation(caller, org_id, _ACTION.get(decision, "view"))
        review = self._review(org_id, review_id)
        item = next((i for i in review.items if i.username == username), None)
        problems = check_decision(
            decision,
            roles,
            closed=review.closed,
            in_review=item is not None,
            answered=item.outcome if item else None,
        )
        if problems:
            raise RuleViolation(problems)
        assert item is not None  # check_decision refused otherwise
        why = reason or f"access review {review_id}"
        new_roles: tuple[str, ...] = item.roles
        if decision == "change-roles":
            new_roles = tuple(sorted(roles or ()))
            self.admin.change_roles(caller, org_id, username, new_roles, reference)
        elif decision == "remove":
            self.admin.remove(caller, org_id, username, f"Access review {review_id}: {why}")
            new_roles = ()
        now = _now(now_ms)
        event = AuditEvent(
            AuditKind.ACCESS_REVIEW_ANSWERED,
            caller.username,
            org_id,
            target=username,
            reason=reason,
            reference=reference,
            details={
                "review": review_id,
                "decision": decision,
                "roles": list(item.roles),
                "new_roles": list(new_roles),
            },
        )
        if not self.store.answer(
            review_id, username, decision, caller.username, now, new_roles, reason, event
        ):
            # Answered by someone else between the check and now (the change above still
            # went through its own rules and audit event).
            raise RuleViolation(
                [Violation("username", "already-answered", "Answered meanwhile.", RULE_REVIEW)]
            )
        return self._review(org_id, review_id).items[
            [i.username for i in review.items].index(username)
        ]

    def _review(self, org_id: str, review_id: int) -> Review:
        review = self.store.review(review_id)
        if review is None or review.organisation_id != org_id:
            raise NotVisible(f"review {review_id} not found in {org_id}")
        return review

    def _open_already(self, org_id: str) -> Violation:
        open_review = self.store.open_review(org_id)
        which = f" (review {open_review.id})" if open_review else ""
        return Violation(
            "organisation",
            "review-open",
            f"A review of {org_id} is open{which}: answer it, or wait for its deadline.",
            RULE_REVIEW,
        )

    def _start(
        self,
        group: OrgGroup,
        caller: Caller,
        now: int,
        scheduled: bool,
        members: list[UserRecord] | None = None,
    ) -> Review | None:
        org = group.organisation
        if members is None:
            directory = self.admin.access.directory
            members = list(directory.stream_members(group, self.admin.policy.roles.names))
        items = tuple(
            ReviewItem(u.id, u.username, tuple(sorted(u.roles)))
            for u in sorted(members, key=lambda u: u.username)
        )
        deadline = deadline_ms(now, self.policy)
        review = Review(0, org.id, caller.username, now, deadline, scheduled, None, items)
        event = AuditEvent(
            AuditKind.ACCESS_REVIEW_STARTED,
            caller.username,
            org.id,
            reason="scheduled by the policy" if scheduled else None,
            details={"users": len(items), "deadline": _date(deadline)},
        )
        started = self.store.start(review, event)
        if started is not None and self.notices is not None:
            # Only the start that made the review tells, so once per review; an email that
            # could not go is logged by the notices and never undoes the start.
            try:
                self.notices.review_started(group, members, started, self.policy)
            except Exception:
                log.exception("Could not tell %s's super users of review %s", org.id, started.id)
        return started

    # --- on its own (Lifecycle.run) ----------------------------------------------------------

    def due(
        self,
        group: OrgGroup,
        members: list[UserRecord],
        operator: Operator,
        now_ms: int,
        dry_run: bool = False,
    ) -> list[ReviewStep]:
        """The review steps due now for the organisation: a scheduled start, a reminder, or the
        deadline (the unanswered suspended when the policy says so, then the review closed)."""
        org = group.organisation
        steps: list[ReviewStep] = []
        review = self.store.open_review(org.id)
        if review is None:
            if self.policy.every_months is None:
                return []
            last = self.store.latest_started_ms(org.id)
            since = last if last is not None else self._since_ms(org.id)
            if since is None:
                return self._first_seen(org.id, operator, now_ms, dry_run)
            due_at = next_scheduled_ms(last, since, self.policy)
            if due_at is None or now_ms < due_at:
                return []
            reason = f"Every {self.policy.every_months} months (realm-config/lifecycle.yaml)."
            if dry_run:
                return [ReviewStep(org.id, "", "review-start", reason, False, "dry run")]
            review = self._start(group, operator, now_ms, scheduled=True, members=members)
            if review is None:  # another run started it
                return []
            steps.append(
                ReviewStep(org.id, "", "review-start", reason, True, f"review {review.id}")
            )
        if now_ms < review.deadline_ms:
            return steps + self._remind(group, review, members, operator, now_ms, dry_run)
        return steps + self._deadline(group, review, members, operator, now_ms, dry_run)

    def _since_ms(self, org_id: str) -> int | None:
        """What an organisation never reviewed is scheduled from: its registration event, else
        (registered before the audit log) the lifecycle run that first saw it; None: neither."""
        audit = self.admin.access.audit
        events = audit.events(org_id, action=AuditKind.ORGANISATION_REGISTERED, limit=1)
        at = events[0].at if events else None
        if at is not None:
            return int(at.timestamp() * 1000)
        seen = audit.events(org_id, action=AuditKind.ACCESS_REVIEW_FIRST_SCHEDULED, limit=1)
        return int(seen[0].details["seen_ms"]) if seen else None

    def _first_seen(
        self, org_id: str, operator: Operator, now_ms: int, dry_run: bool
    ) -> list[ReviewStep]:
        """An organisation registered before the audit log, seen for the first time: its first
        review is due ``every_months`` from now (recorded, so later runs count from here), not
        at once, which would review every such organisation on the day of the upgrade."""
        due_at = next_scheduled_ms(None, now_ms, self.policy)
        assert due_at is not None  # every_months is set (checked by the caller)
        reason = (
            f"Registered before the audit log: its first review is due on {_date(due_at)}, "
            f"{self.policy.every_months} months from now (realm-config/lifecycle.yaml)."
        )
        if not dry_run:
            self.admin.access.record(
                operator,
                org_id,
                AuditKind.ACCESS_REVIEW_FIRST_SCHEDULED,
                reason=reason,
                details={"seen_ms": now_ms, "due": _date(due_at)},
            )
        return [
            ReviewStep(
                org_id, "", "review-schedule", reason, not dry_run, "dry run" if dry_run else ""
            )
        ]

    def _remind(
        self,
        group: OrgGroup,
        review: Review,
        members: list[UserRecord],
        operator: Operator,
        now_ms: int,
        dry_run: bool,
    ) -> list[ReviewStep]:
        org = group.organisation
        point = reminder_due(
            review.deadline_ms, self.policy, self.store.reminders(review.id), now_ms
        )
        waiting = [i.username for i in review.unanswered()]
        if point is None or not waiting:
            return []
        deadline = _date(review.deadline_ms)
        reason = f"Review {review.id}: {len(waiting)} users unanswered, deadline {deadline}."

        def step(done: bool, note: str = "") -> list[ReviewStep]:
            return [ReviewStep(org.id, "", "review-remind", reason, done, note)]

        if dry_run:
            return step(False, "dry run")
        super_users = [u for u in members if SUPER_USER in u.roles and u.enabled and u.email]
        if not super_users:
            return step(False, "no active super user with an email address")
        if not self.store.claim_reminder(review.id, point):
            return step(False, "already reminded by another run")
        subject, body = render_email(
            _TEMPLATES,
            "review_reminder",
            organisation=org.name,
            review=review.id,
            deadline=_date(review.deadline_ms),
            days_left=max(1, -(-(review.deadline_ms - now_ms) // DAY_MS)),
            unanswered=len(waiting),
            total=len(review.items),
            usernames=waiting,
            suspend=self.policy.suspend_unanswered,
        )
        failed = []
        for su in super_users:
            try:
                self.mailer.send(su.email or "", subject, body)
            except Exception as error:  # the others are still told; reported below
                failed.append(f"could not tell {su.username}: {error}")
        if len(failed) == len(super_users):
            self.store.release_reminder(review.id, point)
            return step(False, "; ".join(failed))
        self.admin.access.record(
            operator,
            org.id,
            AuditKind.ACCESS_REVIEW_REMINDED,
            reason=reason,
            details={"review": review.id, "days_before": point, "unanswered": len(waiting)},
        )
        return step(True, "; ".join(failed))

    def _deadline(
        self,
        group: OrgGroup,
        review: Review,
        members: list[UserRecord],
        operator: Operator,
        now_ms: int,
        dry_run: bool,
    ) -> list[ReviewStep]:
        org = group.organisation
        current = {u.username: u for u in members}
        label = f"access review {review.id} (deadline {_date(review.deadline_ms)})"
        steps = []
        for item in review.unanswered():
            user = current.get(item.username)
            outcome, note, event = "unanswered", "", None
            if user is None or user.id != item.user_id:
                note = "no longer a member"
            elif not self.policy.suspend_unanswered:
                note = "the policy does not suspend the unanswered"
            elif not user.enabled:
                note = "already suspended"
            elif dry_run:
                note = "dry run"
            else:
                reason = f"Nobody answered for this user in {label} ({RULE_REVIEW})."
                try:
                    self.admin.suspend(operator, org.id, item.username, reason)
                except (RuleViolation, NotPermitted, NotVisible) as refused:
                    note = f"refused: {refused}"  # e.g. the last active super user (§10.2)
                else:
                    outcome = "suspended"
                    event = AuditEvent(
                        AuditKind.ACCESS_REVIEW_UNANSWERED_SUSPENDED,
                        operator.username,
                        org.id,
                        target=item.username,
                        reason=reason,
                        details={"review": review.id},
                    )
            step = (
                "review-suspend"
                if outcome == "suspended" or note == "dry run"
                else "review-unanswered"
            )
            why = f"Not answered in {label}."
            if not dry_run:
                self.store.answer(
                    review.id,
                    item.username,
                    outcome,
                    operator.username,
                    now_ms,
                    (),
                    note or None,
                    event,
                )
            steps.append(ReviewStep(org.id, item.username, step, why, outcome == "suspended", note))
        if dry_run:
            return [*steps, ReviewStep(org.id, "", "review-close", label, False, "dry run")]
        closed = self.store.close(
            review.id,
            now_ms,
            AuditEvent(
                AuditKind.ACCESS_REVIEW_CLOSED,
                operator.username,
                org.id,
                reason=f"Deadline of {label} reached.",
                details={"review": review.id, "unanswered": len(review.unanswered())},
            ),
        )
        if closed:
            steps.append(
                ReviewStep(org.id, "", "review-close", f"Deadline of {label} reached.", True)
            )
        return steps
