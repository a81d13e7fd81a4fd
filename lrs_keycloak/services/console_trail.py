"""Changes made in the Keycloak admin console, in the organisation's audit trail (issue 12).

The enforcer hands every admin event it sees (webhook or poller) to ``ConsoleTrail.record``:
the change is recorded under the person who made it (``authDetails`` resolved by
``keycloak.actors``), once per Keycloak event whichever way it came (store.console_changes'
unique key), and never for the companion app's own changes, which it recorded itself. A
suspension, reinstatement or role grant made without the reason or reference the app would
have asked for "needs a reason" until a super user adds it (``add_reason``): a second audit
event, so the trail keeps when the change was made and when, and by whom, it was explained.

A user created in the console is sent Keycloak's set-password email at once (guide §6.1: the
password is known only to its owner), or flagged to the super users when it has no email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.console_changes import (
    REFERENCE,
    VIA_CONSOLE,
    ConsoleChange,
    check_reason,
    describe,
    read_change,
)
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.keycloak.actors import Actor, unknown_actor
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.users import UserRecord
from lrs_keycloak.services.ports import Audit, ChangeActors, ConsoleChangeStore, Flags
from lrs_keycloak.services.user_admin.callers import Caller, NotVisible
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.console_changes import RecordedChange

log = logging.getLogger(__name__)
_ORGANISATION = f"/{ORGANISATIONS_GROUP}/"
#: The trail's own actor for what it does in reaction (the set-password email).
TRAIL = "lrs-enforcer"
#: The flag a super user sees for a console-created user who cannot be sent the email.
NO_EMAIL = "no-email-for-set-password"
NO_EMAIL_RULE = "guide §6.1: a password is known only to its owner (set through the email)"


class ConsoleTrail:
    def __init__(
        self,
        actors: ChangeActors,
        store: ConsoleChangeStore,
        directory: Any,
        flags: Flags,
        audit: Audit,
        client_uuid: Callable[[], str],
        role_names: frozenset[str],
        authorise: Callable[[Caller, str, str], object],
    ) -> None:
        self.actors = actors
        self.store = store
        #: user_by_id and send_set_password_email (keycloak.users.UserDirectory).
        self.directory = directory
        self.flags = flags
        self.audit = audit
        self._client_uuid = client_uuid
        self.role_names = role_names
        #: UserAdmin's access check: the organisation for this caller and action, or
        #: NotVisible (404) / NotPermitted (403).
        self._authorise = authorise

    # --- recording ---------------------------------------------------------------------------

    def record(self, event: Mapping[str, Any], known_orgs: list[str]) -> list[AuditEvent]:
        """Record one admin event's console change; [] when it is none, the app's own, or
        already recorded. ``known_orgs``: where the user was last seen (for a deletion)."""
        event_id = event.get("id")
        auth = event.get("authDetails") or {}
        if not isinstance(event_id, str) or not isinstance(auth, Mapping):
            return []
        if self.store.recorded(event_id):
            return []
        user_id = _user_id(event)
        before = self.store.snapshot(user_id) if user_id else None
        change = read_change(event, before, self._client_uuid(), self.role_names)
        if change is None or not _organisation_group(change):
            return []
        if change.after:
            self._remember(change, event)
        if self.actors.is_companion(auth):
            return []  # the companion app recorded its own change, with its reason
        user = self.directory.user_by_id(change.user_id)
        username = _username(change, user, before)
        orgs = _organisations(change, user, known_orgs)
        actor = self.actors.person(auth)
        events = [
            (self._event(event, change, actor, auth, org, username), change.needs) for org in orgs
        ]
        written = self.store.record(event_id, events)
        if written is None:
            return []  # the other delivery (webhook or poller) recorded it meanwhile
        if change.kind == AuditKind.USER_CREATED and user is not None:
            self._send_set_password(user, orgs[0])
        return written

    def _remember(self, change: ConsoleChange, event: Mapping[str, Any]) -> None:
        """Keep the account as this event left it, unless a later event was seen already."""
        time = int(event.get("time") or 0)
        seen = self.store.snapshot(change.user_id) or {}
        if int(seen.get("_time", 0)) <= time:
            self.store.save_snapshot(change.user_id, {**seen, **change.after, "_time": time})

    def _event(
        self,
        event: Mapping[str, Any],
        change: ConsoleChange,
        actor: Actor | None,
        auth: Mapping[str, Any],
        org: str | None,
        username: str,
    ) -> AuditEvent:
        details: dict[str, Any] = {
            "via": VIA_CONSOLE,
            "keycloak_event_id": event.get("id"),
            "summary": f"{actor.label if actor else unknown_actor(auth)} "
            + describe(change, username),
            **(actor.as_details() if actor else {"actor_user_id": auth.get("userId")}),
        }
        if change.roles:
            details["roles_removed" if change.removed else "roles_added"] = list(change.roles)
        if change.fields:
            details["fields"] = list(change.fields)
        if change.needs:
            details["needs"] = change.needs
        made = event.get("time")
        return AuditEvent(
            action=change.kind,
            actor=actor.actor if actor else unknown_actor(auth),
            organisation_id=org,
            target=username,
            details=details,
            at=datetime.fromtimestamp(made / 1000, UTC) if isinstance(made, int) else None,
        )

    def _send_set_password(self, user: UserRecord, org: str | None) -> None:
        """Once per console creation (only the delivery that recorded it gets here)."""
        if not user.email:
            message = (
                f"{user.username} was created in the admin console without an email address, "
                "so no set-password email could be sent: add their email address, and the "
                "email is sent."
            )
            if self.flags.raise_flag(user.id, user.username, org, NO_EMAIL, message):
                self._reaction(
                    AuditKind.ENFORCER_FLAG_RAISED, org, user.username, message, NO_EMAIL
                )
            return
        self.send_set_password(user, org)

    def send_set_password(self, user: UserRecord, org: str | None) -> None:
        """Keycloak's execute-actions-email (UPDATE_PASSWORD), and its record."""
        self.directory.send_set_password_email(user.id)
        self._reaction(
            AuditKind.USER_SET_PASSWORD_EMAIL_SENT,
            org,
            user.username,
            f"{user.username} was created in the admin console: Keycloak emailed them the "
            "link to choose their own password.",
            None,
        )

    def _reaction(
        self, kind: AuditKind, org: str | None, target: str, reason: str, rule: str | None
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=kind,
                actor=TRAIL,
                organisation_id=org,
                target=target,
                reason=reason,
                reference=rule,
                details={"rule": rule or "", "guide": NO_EMAIL_RULE, "via": VIA_CONSOLE},
            )
        )

    # --- needs a reason ----------------------------------------------------------------------

    def needing_reason(self, caller: Caller, org_id: str) -> list[RecordedChange]:
        """The organisation's console changes still owing a reason or reference."""
        self._authorise(caller, org_id, "view_audit")
        return self.store.changes(org_id, needing_reason=True)

    def add_reason(
        self,
        caller: Caller,
        org_id: str,
        change_id: int,
        reason: str | None = None,
        reference: str | None = None,
    ) -> AuditEvent:
        """Record the reason (or reference) a console change was made without. Another
        organisation's change is not found (404); one explained already, or owing nothing, is
        refused; the change itself and its time stay as recorded."""
        self._authorise(caller, org_id, "view_audit")
        change = self.store.change(org_id, change_id)
        if change is None:
            raise NotVisible(f"console change {change_id} not found")
        # Who may make the change may explain it: a reason for a suspension, a reference for
        # a role grant (the same actions the app's forms need).
        self._authorise(caller, org_id, "change_roles" if change.needs == REFERENCE else "suspend")
        if change.needs is None or change.reason_event_id is not None:
            raise RuleViolation([_nothing_owed(change.id)])
        problems = check_reason(change.needs, reason, reference)
        if problems:
            raise RuleViolation(problems)
        event = AuditEvent(
            action=AuditKind.CONSOLE_CHANGE_REASON_ADDED,
            actor=caller.username,
            organisation_id=org_id,
            target=change.target,
            reason=(reason or "").strip() or None,
            reference=(reference or "").strip() or None,
            details={
                "change_id": change.id,
                "change_event_id": change.audit_event_id,
                "change_action": change.action,
                "changed_by": change.made_by,
                "changed_at": change.made_at.isoformat(),
            },
        )
        written = self.store.add_reason(change.id, event)
        if written is None:  # another super user explained it meanwhile
            raise RuleViolation([_nothing_owed(change.id)])
        return written


def _nothing_owed(change_id: int) -> Violation:
    return Violation(
        "change_id",
        "no-reason-owed",
        f"Console change {change_id} owes no reason: it needs none, or one was added already.",
        "guide §8: the audit trail is kept as it was written",
    )


def _organisation_group(change: ConsoleChange) -> bool:
    """Membership changes of the organisation groups only (not of other groups)."""
    path = change.group_path
    if change.kind not in (
        AuditKind.USER_JOINED_ORGANISATION,
        AuditKind.USER_LEFT_ORGANISATION,
    ):
        return True
    return bool(path and path.startswith(_ORGANISATION) and "/" not in path[len(_ORGANISATION) :])


def _user_id(event: Mapping[str, Any]) -> str | None:
    path = str(event.get("resourcePath", ""))
    parts = path.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "users" else None


def _username(change: ConsoleChange, user: UserRecord | None, before: Any) -> str:
    if user is not None:
        return user.username
    for seen in (change.after, before or {}):
        if seen.get("username"):
            return str(seen["username"])
    return change.user_id


def _organisations(
    change: ConsoleChange, user: UserRecord | None, known: list[str]
) -> list[str | None]:
    if change.group_path is not None:
        return [change.group_path[len(_ORGANISATION) :]]
    found = list(user.organisation_ids) if user is not None else []
    return list(found or known) or [None]


__all__ = ["NO_EMAIL", "NO_EMAIL_RULE", "TRAIL", "ConsoleTrail"]
