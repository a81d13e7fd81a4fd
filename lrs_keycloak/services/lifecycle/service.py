"""`lifecycle run`: keeping the user community current on its own (guide §2.1, §7, §8).

For each organisation, a page of members at a time: accounts past their end date are
suspended, unused accounts are warned and then suspended (realm-config/lifecycle.yaml), and the
organisation's super users are told of each suspension. Every suspension goes through
``UserAdmin.suspend`` as the operator ``lifecycle``: the same rules (never the last active super
user), the same audit event, sessions ended. Idempotent: a suspended account needs nothing, and
each warning is claimed in the store before it is sent, so runs from cron every few minutes,
or two at once, send it once.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.lifecycle import (
    RULE_LEAVERS,
    AccountFacts,
    Decision,
    decide,
    read_leavers,
)
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.names import USER_ATTRIBUTES
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord, recorded_logon
from lrs_keycloak.services.ports import Mailer
from lrs_keycloak.services.reviews import Reviews
from lrs_keycloak.services.user_admin import Caller, NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.services.wording import render_email
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.lifecycle import EndDate, LifecycleStore

STAFF_ID_ATTRIBUTE = USER_ATTRIBUTES["staff_id"]
#: Who the lifecycle's own changes are recorded as.
LIFECYCLE = Operator("lifecycle")
_TEMPLATES = "lrs_keycloak.services.lifecycle"
_WHY = {"suspend-end-date": "end date reached", "suspend-inactive": "not used"}


@dataclass(frozen=True)
class LeaverOutcome:
    username: str
    action: str
    done: bool
    note: str = ""


@dataclass
class LeaversReport:
    """What `users leavers` did: each matched account, and the staff IDs that matched none."""

    action: str
    outcomes: list[LeaverOutcome] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "accounts": [o.__dict__ for o in self.outcomes],
            "unmatched_staff_ids": self.unmatched,
        }


@dataclass(frozen=True)
class LifecycleAction:
    """One step taken (or, in a dry run, that would be): ``done`` False with a ``note`` when it
    could not be (refused by a rule, no email address, the email failed)."""

    organisation_id: str
    username: str
    step: str
    reason: str
    done: bool
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class Lifecycle:
    def __init__(
        self,
        admin: UserAdmin,
        store: LifecycleStore,
        mailer: Mailer,
        reviews: Reviews | None = None,
    ) -> None:
        self.admin = admin
        self.store = store
        self.mailer = mailer
        #: Periodic access reviews (guide §8): their schedule, reminders and deadlines are part
        #: of the run, so cron and the worker run them.
        self.reviews = reviews

    # --- end dates (guide §4.1, §7) ---------------------------------------------------------

    def set_end_date(
        self, caller: Caller, org_id: str, username: str, end: date, reason: str
    ) -> AuditEvent:
        """Give an account an end date; on that date `lifecycle run` suspends it."""
        group, user = self._account(caller, org_id, username)
        event = AuditEvent(
            AuditKind.USER_END_DATE_SET,
            caller.username,
            org_id,
            target=user.username,
            reason=reason,
            details={"end_date": end.isoformat()},
        )
        record = EndDate(user.id, group.organisation.id, user.username, end, caller.username)
        return self.store.set_end_date(record, event)

    def clear_end_date(
        self, caller: Caller, org_id: str, username: str, reason: str
    ) -> AuditEvent | None:
        _, user = self._account(caller, org_id, username)
        event = AuditEvent(
            AuditKind.USER_END_DATE_CLEARED,
            caller.username,
            org_id,
            target=user.username,
            reason=reason,
        )
        return self.store.clear_end_date(user.id, event)

    def _account(self, caller: Caller, org_id: str, username: str) -> tuple[OrgGroup, UserRecord]:
        access = self.admin.access
        group = access.organisation(caller, org_id, "update_details")
        return group, access.target(group, username)

    # --- leavers (guide §2.1, §7) ------------------------------------------------------------

    def leavers(
        self, caller: Caller, org_id: str, text: str, reason: str, dry_run: bool = False
    ) -> LeaversReport:
        """The accounts of the staff IDs in ``text`` (the HR feed of people who left) removed or
        suspended, as lifecycle.yaml `leavers.action` says, each with its audit event and the
        leaving reason; what matched nothing is reported, never guessed at."""
        access = self.admin.access
        group = access.organisation(caller, org_id, "remove")
        leavers, problems = read_leavers(text)
        if problems:
            raise RuleViolation(
                [
                    Violation("file", "bad-file", f"row {row}: {m}", RULE_LEAVERS)
                    for row, m in problems
                ]
            )
        action = self.admin.policy.lifecycle.leavers
        by_staff: dict[str, list[UserRecord]] = {}
        for user in access.directory.stream_members(group, ()):
            staff = (user.attributes.get(STAFF_ID_ATTRIBUTE) or "").strip().casefold()
            if staff:
                by_staff.setdefault(staff, []).append(user)
        report = LeaversReport(action=action)
        for leaver in leavers:
            matched = by_staff.get(leaver.staff_id.casefold(), [])
            if not matched:
                report.unmatched.append(leaver.staff_id)
            for user in matched:
                why = leaver.reason or reason
                report.outcomes.append(self._leave(caller, org_id, user, action, why, dry_run))
        return report

    def _leave(
        self, caller: Caller, org_id: str, user: UserRecord, action: str, why: str, dry_run: bool
    ) -> LeaverOutcome:
        if dry_run:
            return LeaverOutcome(user.username, action, False, "dry run")
        if action == "suspend" and not user.enabled:
            return LeaverOutcome(user.username, action, True, "already suspended")
        try:
            if action == "remove":
                self.admin.remove(caller, org_id, user.username, f"Left the organisation: {why}")
            else:
                self.admin.suspend(caller, org_id, user.username, f"Left the organisation: {why}")
        except (RuleViolation, NotPermitted, NotVisible) as refused:
            return LeaverOutcome(user.username, action, False, f"refused: {refused}")
        return LeaverOutcome(user.username, action, True)

    # --- the run ----------------------------------------------------------------------------

    def run(
        self, org_id: str | None = None, dry_run: bool = False, now_ms: int | None = None
    ) -> list[LifecycleAction]:
        """Every step due now, taken (or only listed with ``dry_run``)."""
        now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        directory = self.admin.access.directory
        if org_id is not None:
            found = directory.find_organisation(org_id)
            if found is None:
                raise NotVisible(f"organisation {org_id} does not exist")
            groups = [found]
        else:
            groups = sorted(directory.organisations(), key=lambda g: g.organisation.id)
        # A review's snapshot needs every LRS role; the rest of the run only the super users.
        roles = self.admin.policy.roles.names if self.reviews is not None else [SUPER_USER]
        actions: list[LifecycleAction] = []
        for group in groups:
            actions += self._organisation(group, roles, now, dry_run)
        return actions

    def _organisation(
        self, group: OrgGroup, roles: Collection[str], now_ms: int, dry_run: bool
    ) -> list[LifecycleAction]:
        org = group.organisation
        end_dates = self.store.end_dates(org.id)
        reinstated = self._reinstatements(org.id)
        members = list(self.admin.access.directory.stream_members(group, roles))
        warned = self.store.warned({u.id for u in members})
        super_users = [u for u in members if SUPER_USER in u.roles and u.enabled and u.email]
        actions = []
        for user, facts, decision in self._decisions(
            members, end_dates, reinstated, warned, now_ms
        ):
            if dry_run:
                actions.append(_action(org.id, decision, False, "dry run"))
            elif decision.step == "warn-inactive":
                actions.append(self._warn(group, user, facts, decision))
            else:
                actions.append(self._suspend(group, user, decision, super_users))
        if self.reviews is not None:
            # An account this run suspended is not suspended again by a review's deadline.
            gone = {a.username for a in actions if a.done and a.step.startswith("suspend")}
            members = [replace(u, enabled=False) if u.username in gone else u for u in members]
            for step in self.reviews.due(group, members, LIFECYCLE, now_ms, dry_run):
                actions.append(LifecycleAction(**step.__dict__))
        return actions

    def _decisions(
        self,
        members: list[UserRecord],
        end_dates: dict[str, EndDate],
        reinstated: dict[str, int],
        warned: dict[tuple[str, int], frozenset[int]],
        now_ms: int,
    ) -> Iterator[tuple[UserRecord, AccountFacts, Decision]]:
        policy = self.admin.policy.lifecycle
        today = datetime.fromtimestamp(now_ms / 1000, UTC).date()
        for user in members:
            end = end_dates.get(user.id)
            facts = AccountFacts(
                username=user.username,
                enabled=user.enabled,
                created_ms=user.created_ms,
                last_logon_ms=recorded_logon(user),
                reinstated_ms=reinstated.get(user.username),
                end_date=end.end_date if end else None,
            )
            since = facts.idle_since_ms()
            if since is not None:
                facts = replace(facts, warned=warned.get((user.id, since), frozenset()))
            decision = decide(facts, policy, now_ms, today)
            if decision is not None:
                yield user, facts, decision

    def _reinstatements(self, org_id: str) -> dict[str, int]:
        """When each account was last reinstated (epoch ms), from the audit log."""
        found: dict[str, int] = {}
        events = self.admin.access.audit.events(org_id, action=AuditKind.USER_REINSTATED)
        for e in events:
            if e.target and e.at and e.target not in found:
                found[e.target] = int(e.at.timestamp() * 1000)
        return found

    def _suspend(
        self, group: OrgGroup, user: UserRecord, decision: Decision, super_users: list[UserRecord]
    ) -> LifecycleAction:
        org = group.organisation
        try:
            self.admin.suspend(
                LIFECYCLE, org.id, user.username, f"{decision.reason} ({decision.rule})"
            )
        except (RuleViolation, NotPermitted, NotVisible) as refused:
            # e.g. the organisation's last active super user: the help desk's business (§10.2)
            return _action(org.id, decision, False, f"refused: {refused}")
        name = f"{user.first_name} {user.last_name}".strip()
        notes = []
        for su in super_users:
            if su.id == user.id:
                continue
            subject, body = render_email(
                _TEMPLATES,
                "account_suspended",
                organisation=org.name,
                username=user.username,
                name=name,
                why=_WHY[decision.step],
                reason=decision.reason,
                rule=decision.rule,
            )
            try:
                self.mailer.send(su.email or "", subject, body)
            except Exception as failed:  # the suspension stands; the notice is reported
                notes.append(f"could not tell {su.username}: {failed}")
        return _action(org.id, decision, True, "; ".join(notes))

    def _warn(
        self, group: OrgGroup, user: UserRecord, facts: AccountFacts, decision: Decision
    ) -> LifecycleAction:
        org = group.organisation
        if not user.email:
            return _action(org.id, decision, False, "no email address to warn")
        since = facts.idle_since_ms() or 0
        if not self.store.claim_warning(user.id, since, decision.at_days):
            return _action(org.id, decision, False, "already warned by another run")
        subject, body = render_email(
            _TEMPLATES,
            "inactivity_warning",
            name=f"{user.first_name} {user.last_name}".strip(),
            username=user.username,
            organisation=org.name,
            idle_days=decision.idle_days,
            suspend_after_days=self.admin.policy.lifecycle.suspend_after_days,
        )
        try:
            self.mailer.send(user.email, subject, body)
        except Exception as failed:
            self.store.release_warning(user.id, since, decision.at_days)
            return _action(org.id, decision, False, f"email failed: {failed}")
        self.admin.access.record(
            LIFECYCLE,
            org.id,
            AuditKind.USER_INACTIVITY_WARNED,
            target=user.username,
            reason=decision.reason,
            details={"idle_days": decision.idle_days, "warning_at_days": decision.at_days},
        )
        return _action(org.id, decision, True)


def _action(org_id: str, d: Decision, done: bool, note: str = "") -> LifecycleAction:
    return LifecycleAction(org_id, d.username, d.step, d.reason, done, note)
