"""The rules held on changes made around the companion app, in the Keycloak admin console.

The console bypasses the services, so the enforcer looks at what changed (an admin event from
the extension's webhook within a second, or from Keycloak's stored admin events polled with a
persisted cursor, so nothing is missed while the app was down) and re-checks the users and
organisations it touched:

- a user with no LRS role, in no organisation or in two → flagged at once to the
  organisation's super users, disabled if still so after the grace period (§4.1, §10.1);
- a role the organisation is not entitled to → removed again (§10.3-§10.5);
- a generic name that slipped past Keycloak's validator → flagged (§4.2);
- an organisation left with no active super user → the help desk is alerted and a recovery
  case opened that awaits the senior manager's New Super User Form (§10.2); when an active
  super user is back before any form came, the enforcer withdraws (cancels) that case.

Every reaction is one audit event naming the rule.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.generic_names import check_person_name
from lrs_keycloak.domain.organisations import (
    NO_ORGANISATION,
    NO_ORGANISATION_RULE,
    TWO_ORGANISATIONS,
    TWO_ORGANISATIONS_RULE,
    check_one_organisation,
)
from lrs_keycloak.domain.policies import (
    NO_ACTIVE_SUPER_USER,
    NO_ACTIVE_SUPER_USER_RULE,
    SUPER_USER,
    Member,
    active_super_users,
    check_active_super_user,
)
from lrs_keycloak.domain.recovery import RecoveryCase, cases_to_withdraw
from lrs_keycloak.domain.roles import (
    ENTITLED_ROLES_RULE,
    HOLD_A_ROLE_RULE,
    NO_ROLE,
    ROLE_NOT_AVAILABLE,
    check_holds_a_role,
)
from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.console_trail import NO_EMAIL, NO_EMAIL_RULE, ConsoleTrail
from lrs_keycloak.services.event_once import OncePerEvent
from lrs_keycloak.services.last_super_user import LastSuperUser
from lrs_keycloak.services.notices import Notices
from lrs_keycloak.services.ports import Audit, EventClaims, Flags, WaitingCases, WatchedDirectory
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.enforcement import ORGANISATION_TARGET, Flag
from lrs_keycloak.store.locks import OrganisationLocks

ENFORCER = "lrs-enforcer"
#: Why the enforcer cancels a case it opened that still awaits its form.
SUPER_USER_BACK = "an active super user is back"
CURSOR = "admin-events"
#: Keycloak's login event when repeated wrong passwords lock an account for good (it disables
#: the account; no admin event says so). An outsider who knows the username pattern can lock
#: out every super user of an organisation: the organisation is re-checked as for a suspension.
LOCKOUT = "USER_DISABLED_BY_PERMANENT_LOCKOUT"
LOCKOUT_CURSOR = "lockout-events"
#: The key of the lock the enforcer's checks take across processes (store.locks).
CHECKS_LOCK = "lrs-enforcer"
log = logging.getLogger(__name__)

#: One flag for every way check_person_name finds a name not one person's (its own codes, such
#: as ``department-name``, are in the flag's message).
GENERIC_NAME = "generic-name"
#: Flags that end in the account being disabled when the grace period passes.
DISABLING = frozenset({NO_ROLE, NO_ORGANISATION, TWO_ORGANISATIONS})

#: The guide's rule behind each code the enforcer records: the domain's, declared there.
RULES = {
    NO_ROLE: HOLD_A_ROLE_RULE,
    NO_ORGANISATION: NO_ORGANISATION_RULE,
    TWO_ORGANISATIONS: TWO_ORGANISATIONS_RULE,
    GENERIC_NAME: "guide §4.2: no generic accounts",
    NO_ACTIVE_SUPER_USER: NO_ACTIVE_SUPER_USER_RULE,
    ROLE_NOT_AVAILABLE: ENTITLED_ROLES_RULE,
    NO_EMAIL: NO_EMAIL_RULE,
}

_USER_PATH = re.compile(r"^users/([0-9a-f-]{36})(?:/|$)")
_WATCHED = {"USER", "GROUP_MEMBERSHIP", "CLIENT_ROLE_MAPPING"}


@dataclass
class Outcome:
    """What one check did: flags raised, roles removed, help desk alerts, and the recovery
    cases opened for those alerts or withdrawn."""

    flags: list[Flag]
    removed_roles: list[str]
    alerts: list[str]
    cases_opened: list[int] = field(default_factory=list)
    cases_cancelled: list[int] = field(default_factory=list)
    #: Organisations whose last active super user was put back.
    restored: list[str] = field(default_factory=list)
    #: Another process has the event, or had it and finished it: nothing was done here.
    skipped: bool = False


class Enforcer:
    def __init__(
        self,
        directory: WatchedDirectory,
        policy: RealmPolicy,
        audit: Audit,
        store: Flags,
        recovery: WaitingCases,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        trail: ConsoleTrail | None = None,
        last_super_user: LastSuperUser | None = None,
        notices: Notices | None = None,
        claims: EventClaims | None = None,
        locks: OrganisationLocks | None = None,
    ) -> None:
        self.directory = directory
        self.policy = policy
        self.audit = audit
        self.store = store
        self.now = now
        # The help desk's recovery cases, in the same database as the enforcer's cursor: whoever
        # polls (the app or the CLI's `audit`) opens the cases for what it handled.
        self.recovery = recovery
        self._lock = threading.Lock()  # one check at a time: webhook and poller may race
        #: Console changes into the organisation's audit trail under who made them (issue 12).
        self.trail = trail
        #: Puts back the last active super user a console change took away (issue 12).
        self.last_super_user = last_super_user
        #: Emails the super users and the help desk of what the enforcer did (issue 13).
        self.notices = notices
        #: Each event handled once across processes (issue 14: the webhook's deliveries to any
        #: worker and every poll see the same events), on ``self.now``, which tests may move.
        self.once = (
            OncePerEvent(claims, lambda: self.now(), self._handle) if claims is not None else None
        )
        #: One check at a time across processes too (docs/adr/0023): two events about the same
        #: user or organisation checked at once by two processes would both raise its flag.
        self.locks = locks

    # --- entry points ----------------------------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> Outcome:
        """React to one admin event, or a permanent lockout (from the webhook or the poller),
        unless another process has it or had it: with claims, each event is handled once across
        the app's processes (services.event_once)."""
        if self.once is None:
            return self._handle(event)
        outcome = self.once.run(event)
        return Outcome([], [], [], skipped=True) if outcome is None else outcome

    def take_abandoned(self) -> int:
        """Handle the events another process claimed and never finished; returns how many."""
        return self.once.take_abandoned() if self.once is not None else 0

    def _handle(self, event: dict[str, Any]) -> Outcome:
        outcome = Outcome([], [], [])
        if event.get("kind") == "login" or "resourceType" not in event:
            user_id = event.get("userId")
            if event.get("type") == LOCKOUT and isinstance(user_id, str):
                with self._checking():
                    orgs = self.directory.user_organisation_ids(user_id)
                    self._check_organisations(orgs, outcome)
            return outcome
        if event.get("kind", "admin") != "admin" or event.get("resourceType") not in _WATCHED:
            return outcome
        match = _USER_PATH.match(str(event.get("resourcePath", "")))
        if match is None:
            return outcome
        user_id = match.group(1)
        with self._checking():
            before = self.store.last_membership(user_id)
            if self.last_super_user is not None:
                # Before the checks, so the organisation is whole again when they look at it.
                outcome.restored.extend(self.last_super_user.restore(event, user_id))
            if event.get("resourceType") == "USER" and event.get("operationType") == "DELETE":
                now_in: list[str] = []
            else:
                now_in = self._check_user(user_id, outcome)
            self._check_organisations(sorted(set(before) | set(now_in)), outcome)
            if self.trail is not None:
                # Last: a failure here leaves the rules held; the poller records it on retry
                # (once: the trail's own key, not the cursor, decides).
                self.trail.record(event, before)
        return outcome

    @contextmanager
    def _checking(self) -> Iterator[None]:
        across = self.locks(CHECKS_LOCK) if self.locks is not None else nullcontext()
        with self._lock, across:
            yield

    def _check_organisations(self, affected: list[str], outcome: Outcome) -> None:
        # Read once per event: the realm's LRBSuperUser holders, for the console's permissions.
        holders = {SUPER_USER: self.directory.role_members(SUPER_USER)} if affected else {}
        for org_id in affected:
            group = self.directory.find_organisation(org_id)
            if group is None:
                continue
            members = self.directory.members(group, [SUPER_USER])
            if self.policy.admin_console_scoped:
                # Who administers the organisation in the console, and which of its members
                # they may give roles to, follow the change now, not at the next sync.
                self.directory.refresh_organisation(
                    self.policy,
                    org_id,
                    members=[m.id for m in members],
                    super_users=holders[SUPER_USER],
                )
            self._check_organisation(group, members, outcome)
            if self.notices is not None:
                # Guide §9: a console suspension or removal of the primary contact.
                self.notices.check_primary_contact(group)

    def poll(self) -> int:
        """Handle the stored admin events and permanent lockouts not seen yet; returns how many
        were handled."""
        directory = self.directory
        handled = self.take_abandoned()
        handled += self._poll(CURSOR, directory.admin_events_since)
        lockouts = self._poll(
            LOCKOUT_CURSOR, lambda since: directory.login_events_since(since, LOCKOUT)
        )
        return handled + lockouts

    def _poll(self, name: str, fetch: Callable[[int], list[dict[str, Any]]]) -> int:
        cursor = self.store.cursor(name)
        if cursor is None:
            # First run: start from now; earlier history was made before the enforcer existed.
            self.store.save_cursor(name, int(self.now().timestamp() * 1000), set())
            return 0
        since, seen = cursor
        handled = 0
        latest, latest_ids = since, set(seen)
        for event in fetch(since):
            if event["time"] == since and event["id"] in seen:
                continue
            handled += not self.handle(event).skipped
            if event["time"] > latest:
                latest, latest_ids = event["time"], set()
            latest_ids.add(event["id"])
            self.store.save_cursor(name, latest, latest_ids)
        return handled

    def sweep(self) -> list[Flag]:
        """Disable the users whose disabling flags outlived the grace period."""
        grace = timedelta(hours=self.policy.grace_period_hours)
        disabled = []
        for flag in self.store.open_flags():
            waiting = flag.raised_at + grace > self.now()
            if flag.rule not in DISABLING or flag.disabled_at or waiting:
                continue
            try:
                self.directory.set_enabled(flag.user_id, False)
            except NotFound:
                self.store.resolve_except(flag.user_id, set())
                continue
            self.store.mark_disabled(flag.id)
            self._record(
                AuditKind.ENFORCER_USER_DISABLED,
                flag.organisation_id,
                flag.username,
                f"still flagged '{flag.rule}' after {self.policy.grace_period_hours} h",
                flag.rule,
            )
            if self.notices is not None:
                hours = self.policy.grace_period_hours
                self.notices.disabled(flag.organisation_id, flag.username, flag.rule, hours)
            disabled.append(flag)
        return disabled

    # --- checks ----------------------------------------------------------------------------------

    def _check_user(self, user_id: str, outcome: Outcome) -> list[str]:
        user = self.directory.user_by_id(user_id)
        if user is None:
            return []
        username = user.username
        org_ids = list(user.organisation_ids)
        self.store.remember_membership(user_id, org_ids)
        roles = user.roles
        if not org_ids and not roles and self.directory.is_staff(user_id):
            # Help desk agents and realm administrators belong to no organisation and hold no
            # LRS role by design: the organisation rules are not theirs (they must never be
            # flagged, let alone disabled after the grace period).
            for closed in self.store.resolve_except(user_id, set()):
                self._record(
                    AuditKind.ENFORCER_FLAG_RESOLVED,
                    None,
                    username,
                    "an operator account",
                    closed.rule,
                )
            return []

        found: list[Violation | None] = [check_one_organisation(username, org_ids)]
        organisation = None
        if len(org_ids) == 1:
            group = self.directory.find_organisation(org_ids[0])
            organisation = group.organisation if group else None
        removed: list[str] = []
        if organisation is not None:
            removed = self.policy.roles.not_entitled(roles, organisation)
            if removed:
                self.directory.remove_roles(user_id, removed)
                outcome.removed_roles.extend(removed)
                self._record(
                    AuditKind.ENFORCER_ROLE_REMOVED,
                    organisation.id,
                    username,
                    f"{organisation.name} is not entitled to {', '.join(removed)}",
                    ROLE_NOT_AVAILABLE,
                    {"roles": removed},
                )
        found.append(check_holds_a_role(username, roles - set(removed), after_removal=bool(roles)))
        names = check_person_name(
            user.first_name,
            user.last_name,
            policy=self.policy.generic_names,
            organisation_name=organisation.name if organisation else None,
            role_names=self.policy.roles.names,
        )
        if names:
            found.append(
                Violation(
                    "name", GENERIC_NAME, " ".join(v.message for v in names), RULES[GENERIC_NAME]
                )
            )
        problems = {v.code: v.message for v in found if v is not None}
        self._set_password_owed(user, org_ids, problems)

        if user.enabled:
            self._rearm_reenabled(user_id, username, problems)
        for rule, message in problems.items():
            targets: list[str | None] = list(org_ids) or [None]
            for target_org in targets:
                flag = self.store.raise_flag(user_id, username, target_org, rule, message)
                if flag is not None:
                    outcome.flags.append(flag)
                    self._record(
                        AuditKind.ENFORCER_FLAG_RAISED, target_org, username, message, rule
                    )
                    if self.notices is not None:
                        self.notices.flagged(target_org, username, rule, message)
        for closed in self.store.resolve_except(user_id, set(problems)):
            self._record(
                AuditKind.ENFORCER_FLAG_RESOLVED,
                closed.organisation_id,
                username,
                "put right",
                closed.rule,
            )
        return org_ids

    def _set_password_owed(
        self, user: UserRecord, org_ids: list[str], problems: dict[str, str]
    ) -> None:
        """A console-created user flagged for having no email keeps the flag until an email
        address is added; then the set-password email goes, and the flag is put right."""
        owed = [f for f in self.store.user_flags(user.id) if f.rule == NO_EMAIL]
        if not owed:
            return
        if user.email and self.trail is not None:
            self.trail.send_set_password(user, org_ids[0] if org_ids else None)
        else:
            problems[NO_EMAIL] = owed[0].message

    def _rearm_reenabled(self, user_id: str, username: str, problems: dict[str, str]) -> None:
        """An account the enforcer disabled is enabled again but still has its problem: its
        flag stands and the grace period starts again, so it is disabled again if nobody puts
        it right (issue 9 §5: re-enabling is not a way round the rule)."""
        for flag in self.store.user_flags(user_id):
            if flag.disabled_at is None or flag.rule not in problems:
                continue
            self.store.rearm(flag.id, self.now())
            self._record(
                AuditKind.ENFORCER_FLAG_RAISED,
                flag.organisation_id,
                username,
                f"{username} was enabled again while still flagged: {problems[flag.rule]} It "
                f"will be disabled again after {self.policy.grace_period_hours} h unless put "
                "right.",
                flag.rule,
                {"re_enabled": True, "disabled_at": flag.disabled_at.isoformat()},
            )

    def _check_organisation(
        self, group: OrgGroup, members: list[UserRecord], outcome: Outcome
    ) -> None:
        org = group.organisation
        seen = [Member(m.username, org.id, m.roles, m.enabled, m.locked) for m in members]
        refused = check_active_super_user(org.name, seen)
        if refused is None:
            for closed in self.store.resolve_organisation(org.id, NO_ACTIVE_SUPER_USER):
                self._record(
                    AuditKind.ENFORCER_FLAG_RESOLVED, org.id, None, "put right", closed.rule
                )
            active = sorted(m.username for m in active_super_users(seen))
            self._withdraw_cases(org.id, active, outcome)
            return
        message = refused.message
        flag = self.store.raise_flag(
            ORGANISATION_TARGET, org.id, org.id, NO_ACTIVE_SUPER_USER, message
        )
        if flag is None:
            return  # alerted already; the case opened then (or the help desk's) stands
        case, opened = self._open_case(org.id, org.name, outcome)
        outcome.alerts.append(org.id)
        if case is None:
            reason = f"{message} No recovery case could be opened: open one from the form."
            details: dict[str, Any] = {"case_id": None, "case_opened": False}
        else:
            reason = f"{message} Recovery case {case.id} " + (
                "awaits the form." if opened else f"is already open ({case.state.value})."
            )
            details = {"case_id": case.id, "case_opened": opened, "case_state": case.state.value}
        if self.notices is not None:
            details["helpdesk_emailed"] = bool(
                self.notices.no_active_super_user(org.id, org.name, reason)
            )
        self._record(
            AuditKind.ENFORCER_HELPDESK_ALERTED, org.id, None, reason, NO_ACTIVE_SUPER_USER, details
        )

    def _open_case(
        self, org_id: str, org_name: str, outcome: Outcome
    ) -> tuple[RecoveryCase | None, bool]:
        """A new case awaiting the form, or the organisation's open case (one at a time);
        whether it is new."""
        try:
            case, opened = self.recovery.open_awaiting_form(org_id, ENFORCER, now=self.now())
        except Exception:
            # The alert matters more than the case: it is recorded even so.
            log.exception("The enforcer could not open a recovery case for %s", org_id)
            return None, False
        if opened:
            outcome.cases_opened.append(case.id)
            self._record(
                AuditKind.ENFORCER_RECOVERY_OPENED,
                org_id,
                None,
                f"Recovery case {case.id} awaits {org_name}'s New Super User Form.",
                NO_ACTIVE_SUPER_USER,
                {"case_id": case.id},
            )
        return case, opened

    def _withdraw_cases(self, org_id: str, super_users: list[str], outcome: Outcome) -> None:
        """Cancel the cases this enforcer opened that still await a form: nobody asked for them,
        and a super user can act again."""
        reason = f"{SUPER_USER_BACK}: {', '.join(super_users)}"
        for case in cases_to_withdraw(self.recovery.awaiting_form(org_id), ENFORCER):
            if self.recovery.withdraw(case.id, ENFORCER, reason, now=self.now()) is None:
                continue  # an agent recorded its form or cancelled it meanwhile
            outcome.cases_cancelled.append(case.id)
            self._record(
                AuditKind.ENFORCER_RECOVERY_CANCELLED,
                org_id,
                None,
                reason,
                NO_ACTIVE_SUPER_USER,
                {"case_id": case.id, "from_state": case.state.value, "super_users": super_users},
            )

    def _record(
        self,
        kind: AuditKind,
        org_id: str | None,
        target: str | None,
        reason: str,
        rule: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=kind,
                actor=ENFORCER,
                organisation_id=org_id,
                target=target,
                reason=reason,
                reference=rule,
                details={"rule": rule, "guide": RULES.get(rule, ""), **(details or {})},
            )
        )
